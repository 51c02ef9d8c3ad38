using System.Buffers.Binary;
using System.IO.Hashing;
using EdgeCloudVlm.Inference.Manifest;
using EdgeCloudVlm.Inference.Preprocessing;
using EdgeCloudVlm.Inference.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;

namespace EdgeCloudVlm.Inference.Tests.Preprocessing;

public sealed class ImagePreprocessorTests(ITestOutputHelper output)
{
    private static readonly ImageSpec DemoSpec = ModelManifest.Load(ModelFolder.Path).Image;

    public static TheoryData<int> Samples => Golden.SampleIndices();

    [Theory]
    [MemberData(nameof(Samples))]
    public void Preprocess_GoldenImage_MatchesPythonPixelValues(int sample)
    {
        GoldenSample s = Golden.Demo.Samples[sample];
        var pre = new ImagePreprocessor(DemoSpec);
        var actual = new float[pre.TensorLength];

        ImageSourceInfo info = pre.Preprocess(File.ReadAllBytes(s.ImagePath), actual);

        Assert.Equal(new ImageSourceInfo(96, 96, "PNG"), info);
        double error = TensorAssert.Close(s["pixel_values"].Floats(), actual, 1e-5, "pixel_values");
        output.WriteLine($"pixel_values max abs error sample {sample}: {error:E3}");
    }

    [Fact]
    public void Preprocess_LargeDimensionsInHeader_RejectedBeforeDecoding()
    {
        // A valid PNG header claiming 60000 x 60000 RGB (10.8 GB decoded) followed by a few bytes of image data.
        byte[] bomb = PngWithHeader(60_000, 60_000);
        var pre = new ImagePreprocessor(DemoSpec);

        var ex = Assert.Throws<ImageRejectedException>(() => pre.Preprocess(bomb, new float[pre.TensorLength]));

        Assert.Equal(ImageRejectionReason.TooLarge, ex.Reason);
        Assert.Contains("60000x60000", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Preprocess_PixelCountAtLimit_Accepted()
    {
        byte[] png = Encode(Solid(100, 40, new Rgb24(10, 20, 30)), new PngEncoder());
        var pre = new ImagePreprocessor(DemoSpec, new ImagePreprocessorOptions { MaxPixels = 4000 });

        ImageSourceInfo info = pre.Preprocess(png, new float[pre.TensorLength]);

        Assert.Equal(100, info.Width);
        var tooSmallLimit = new ImagePreprocessor(DemoSpec, new ImagePreprocessorOptions { MaxPixels = 3999 });
        Assert.Equal(ImageRejectionReason.TooLarge,
            Assert.Throws<ImageRejectedException>(() => tooSmallLimit.Identify(png)).Reason);
    }

    [Fact]
    public void Preprocess_EncodedSizeOverLimit_RejectedAsTooLarge()
    {
        byte[] png = Encode(Solid(32, 32, new Rgb24(1, 2, 3)), new PngEncoder());
        var pre = new ImagePreprocessor(DemoSpec, new ImagePreprocessorOptions { MaxEncodedBytes = png.Length - 1 });

        Assert.Equal(ImageRejectionReason.TooLarge,
            Assert.Throws<ImageRejectedException>(() => pre.Preprocess(png, new float[pre.TensorLength])).Reason);
    }

    [Fact]
    public void Preprocess_Gif_RejectedAsUnsupported()
    {
        byte[] gif = Encode(Solid(8, 8, new Rgb24(200, 0, 0)), new GifEncoder());
        var pre = new ImagePreprocessor(DemoSpec);

        var ex = Assert.Throws<ImageRejectedException>(() => pre.Preprocess(gif, new float[pre.TensorLength]));

        Assert.Equal(ImageRejectionReason.UnsupportedFormat, ex.Reason);
    }

    [Fact]
    public void Preprocess_RandomBytes_RejectedAsUnsupported()
    {
        byte[] noise = new byte[256];
        new Random(5).NextBytes(noise);
        var pre = new ImagePreprocessor(DemoSpec);

        Assert.Equal(ImageRejectionReason.UnsupportedFormat,
            Assert.Throws<ImageRejectedException>(() => pre.Preprocess(noise, new float[pre.TensorLength])).Reason);
    }

    [Fact]
    public void Preprocess_TruncatedPng_RejectedAsCorrupt()
    {
        byte[] png = Encode(Noise(64, 64, 3), new PngEncoder());
        byte[] truncated = png[..(png.Length / 2)];
        var pre = new ImagePreprocessor(DemoSpec);

        var ex = Assert.Throws<ImageRejectedException>(() => pre.Preprocess(truncated, new float[pre.TensorLength]));

        Assert.Equal(ImageRejectionReason.Corrupt, ex.Reason);
    }

    [Theory]
    [InlineData("jpeg")]
    [InlineData("png")]
    [InlineData("webp")]
    [InlineData("bmp")]
    public void Preprocess_SupportedFormats_DecodeToTheSameColour(string format)
    {
        var colour = new Rgb24(200, 40, 40);
        byte[] bytes = format switch
        {
            "jpeg" => Encode(Solid(96, 96, colour), new JpegEncoder { Quality = 100 }),
            "png" => Encode(Solid(96, 96, colour), new PngEncoder()),
            "webp" => Encode(Solid(96, 96, colour), new WebpEncoder { FileFormat = WebpFileFormatType.Lossless }),
            _ => Encode(Solid(96, 96, colour), new BmpEncoder()),
        };
        var pre = new ImagePreprocessor(DemoSpec);
        var pixels = new float[pre.TensorLength];

        pre.Preprocess(bytes, pixels);

        int plane = 96 * 96;
        Assert.InRange(pixels[plane / 2], Normalized(200) - 0.02f, Normalized(200) + 0.02f);
        Assert.InRange(pixels[plane + (plane / 2)], Normalized(40) - 0.02f, Normalized(40) + 0.02f);
    }

    [Fact]
    public void Preprocess_ExifOrientation6_RotatesBeforeResizing()
    {
        // Stored 64x32: left half red, right half blue. Orientation 6 means "rotate 90 degrees clockwise to display",
        // so the displayed 32x64 image has red on top and blue below.
        using var image = new Image<Rgb24>(64, 32);
        for (int y = 0; y < 32; y++)
        {
            for (int x = 0; x < 64; x++)
            {
                image[x, y] = x < 32 ? new Rgb24(255, 0, 0) : new Rgb24(0, 0, 255);
            }
        }

        image.Metadata.ExifProfile = new ExifProfile();
        image.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
        byte[] jpeg = Encode(image, new JpegEncoder { Quality = 100 });
        var pre = new ImagePreprocessor(DemoSpec with { Size = 32 });
        var pixels = new float[pre.TensorLength];

        pre.Preprocess(jpeg, pixels);

        int plane = 32 * 32;
        float redTop = pixels[(4 * 32) + 16];
        float blueTop = pixels[(2 * plane) + (4 * 32) + 16];
        float redBottom = pixels[(28 * 32) + 16];
        float blueBottom = pixels[(2 * plane) + (28 * 32) + 16];
        Assert.True(redTop > 0.8f && blueTop < -0.8f, $"top should be red: r={redTop} b={blueTop}");
        Assert.True(redBottom < -0.8f && blueBottom > 0.8f, $"bottom should be blue: r={redBottom} b={blueBottom}");
    }

    [Fact]
    public void Preprocess_WithoutOrientationTag_KeepsStoredLayout()
    {
        using var image = new Image<Rgb24>(64, 32);
        for (int y = 0; y < 32; y++)
        {
            for (int x = 0; x < 64; x++)
            {
                image[x, y] = x < 32 ? new Rgb24(255, 0, 0) : new Rgb24(0, 0, 255);
            }
        }

        var pre = new ImagePreprocessor(DemoSpec with { Size = 32 });
        var pixels = new float[pre.TensorLength];

        pre.Preprocess(Encode(image, new PngEncoder()), pixels);

        Assert.True(pixels[(16 * 32) + 4] > 0.8f, "left should be red");
        Assert.True(pixels[(16 * 32) + 28] < -0.8f, "right should not be red");
    }

    [Fact]
    public void Preprocess_ResizedImage_MatchesPilBilinearClosely()
    {
        // TestData/pil-resize: a 150x120 smooth image and PIL's Image.resize((96, 96), BILINEAR) of it, uint8 HWC.
        string dir = Path.Combine(AppContext.BaseDirectory, "TestData");
        byte[] source = File.ReadAllBytes(Path.Combine(dir, "pil-resize-source.png"));
        byte[] pil = File.ReadAllBytes(Path.Combine(dir, "pil-resize-96.rgb"));
        var pre = new ImagePreprocessor(DemoSpec);
        var pixels = new float[pre.TensorLength];

        pre.Preprocess(source, pixels);

        double worst = 0;
        double sum = 0;
        int plane = 96 * 96;
        for (int i = 0; i < plane; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                double d = Math.Abs(pixels[(c * plane) + i] - Normalized(pil[(i * 3) + c]));
                worst = Math.Max(worst, d);
                sum += d;
            }
        }

        double mean = sum / (3 * plane);
        output.WriteLine($"vs PIL bilinear: max {worst * 127.5:F2} levels, mean {mean * 127.5:F3} levels");
        // Normalized units are 2/255 per 8-bit level; PIL rounds in integer arithmetic, ImageSharp in float.
        Assert.True(worst <= 2 * (2.0 / 255) + 1e-6, $"max difference {worst * 127.5:F2} levels");
        Assert.True(mean <= 0.2 * (2.0 / 255), $"mean difference {mean * 127.5:F3} levels");
    }

    [Fact]
    public void Preprocess_DestinationTooSmall_Throws()
    {
        var pre = new ImagePreprocessor(DemoSpec);
        byte[] png = Encode(Solid(96, 96, new Rgb24(0, 0, 0)), new PngEncoder());

        Assert.Throws<ArgumentException>(() => pre.Preprocess(png, new float[pre.TensorLength - 1]));
    }

    [Fact]
    public void Preprocess_BgrChannelOrder_SwapsPlanes()
    {
        var pre = new ImagePreprocessor(DemoSpec with { ChannelOrder = "BGR" });
        var pixels = new float[pre.TensorLength];

        pre.Preprocess(Encode(Solid(96, 96, new Rgb24(255, 0, 0)), new PngEncoder()), pixels);

        Assert.Equal(-1f, pixels[0]);
        Assert.Equal(1f, pixels[2 * 96 * 96]);
    }

    private static float Normalized(int v) => ((v / 255f) - 0.5f) / 0.5f;

    private static Image<Rgb24> Solid(int w, int h, Rgb24 colour)
    {
        var image = new Image<Rgb24>(w, h);
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                image[x, y] = colour;
            }
        }

        return image;
    }

    private static Image<Rgb24> Noise(int w, int h, int seed)
    {
        var random = new Random(seed);
        var image = new Image<Rgb24>(w, h);
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                image[x, y] = new Rgb24((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
            }
        }

        return image;
    }

    private static byte[] Encode(Image<Rgb24> image, SixLabors.ImageSharp.Formats.IImageEncoder encoder)
    {
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    private static byte[] PngWithHeader(int width, int height)
    {
        using var stream = new MemoryStream();
        stream.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // RGB
        WriteChunk(stream, "IHDR", ihdr);
        WriteChunk(stream, "IDAT", [0x78, 0x9C, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01]);
        WriteChunk(stream, "IEND", []);
        return stream.ToArray();
    }

    private static void WriteChunk(Stream stream, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        stream.Write(word);
        byte[] typeAndData = [.. System.Text.Encoding.ASCII.GetBytes(type), .. data];
        stream.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.HashToUInt32(typeAndData));
        stream.Write(word);
    }
}
