using EdgeCloudVlm.Codec;
using EdgeCloudVlm.Codec.Baselines;
using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Fuzz.Targets;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace EdgeCloudVlm.Fuzz.Inputs;

/// <summary>Valid inputs each target starts from: what mutations (CsCheck's and AFL++'s) work on.</summary>
public static class SeedCorpus
{
    /// <summary>Valid frames: AlignedVQ frames (entropy coded and bit packed) for each codebook, and scalar baselines.</summary>
    public static IReadOnlyList<byte[]> Frames(FuzzSubjects subjects)
    {
        ArgumentNullException.ThrowIfNull(subjects);
        var frames = new List<byte[]>();
        foreach (Codebook codebook in subjects.Codebooks)
        {
            int tokens = codebook.Dimension >= 64 ? 37 : 3;
            float[] features = Wave(tokens * codebook.Dimension);
            foreach (bool entropy in new[] { true, false })
            {
                var codec = new AlignedVqCodec(codebook, new AlignedVqCodecOptions { EntropyCoding = entropy });
                frames.Add(Encode(codec, features, tokens, codebook.Dimension));
            }
        }

        float[] small = Wave(2 * 8);
        foreach (IFeatureCodec scalar in new IFeatureCodec[] { new Float16Codec(), new PerTokenIntCodec(8), new PerTokenIntCodec(4) })
        {
            frames.Add(Encode(scalar, small, 2, 8));
        }

        return frames;
    }

    /// <summary>The codebook files of every subject codebook.</summary>
    public static IReadOnlyList<byte[]> Codebooks(FuzzSubjects subjects)
    {
        ArgumentNullException.ThrowIfNull(subjects);
        return [.. subjects.Codebooks.Select(c => c.FileBytes.ToArray())];
    }

    /// <summary>Evaluation PNGs, and the first of them as JPEG, BMP and WebP.</summary>
    public static IReadOnlyList<byte[]> Images(FuzzSubjects subjects)
    {
        ArgumentNullException.ThrowIfNull(subjects);
        var images = new List<byte[]>(subjects.SeedImages);
        using Image<Rgb24> image = Image.Load<Rgb24>(subjects.SeedImages[0]);
        foreach (SixLabors.ImageSharp.Formats.IImageEncoder encoder in new SixLabors.ImageSharp.Formats.IImageEncoder[]
                 { new JpegEncoder { Quality = 80 }, new BmpEncoder(), new WebpEncoder { FileFormat = WebpFileFormatType.Lossy } })
        {
            using var stream = new MemoryStream();
            image.Save(stream, encoder);
            images.Add(stream.ToArray());
        }

        return images;
    }

    /// <summary>The seeds of the named target.</summary>
    public static IReadOnlyList<byte[]> For(string target, FuzzSubjects subjects) => target switch
    {
        "frame" => Frames(subjects),
        "codebook" => Codebooks(subjects),
        "image" => Images(subjects),
        _ => throw new ArgumentException($"unknown target '{target}' (frame, codebook, image)", nameof(target)),
    };

    private static float[] Wave(int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)(Math.Sin(i * 0.11) * (1 + (i % 5))) + (i % 128 == 3 ? 30f : 0f);
        }

        return values;
    }

    private static byte[] Encode(IFeatureCodec codec, float[] features, int tokens, int dimension)
    {
        var buffer = new byte[codec.GetMaxFrameLength(tokens, dimension)];
        int length = codec.Encode(features, tokens, dimension, buffer);
        return buffer[..length];
    }
}
