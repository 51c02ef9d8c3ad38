using EdgeCloudVlm.Inference.Manifest;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SixLabors.ImageSharp.Processing.Processors.Transforms;

namespace EdgeCloudVlm.Inference.Preprocessing;

/// <summary>
/// Encoded image to <c>pixel_values</c> as the manifest describes: JPEG, PNG, WebP or BMP; EXIF orientation applied;
/// the header's pixel count checked before decoding; resized (and optionally centre-cropped) to the model size; scaled
/// and normalized per channel straight into the caller's [3,H,W] span.
/// </summary>
public sealed class ImagePreprocessor
{
    private readonly Configuration _configuration;
    private readonly ImagePreprocessorOptions _options;
    private readonly float[] _lut;
    private readonly IResampler _resampler;
    private readonly bool _centerCrop;
    private readonly bool _bgr;

    /// <summary>Creates the preprocessor for <paramref name="spec"/>.</summary>
    public ImagePreprocessor(ImageSpec spec, ImagePreprocessorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        _options = options ?? new ImagePreprocessorOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxPixels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxEncodedBytes, 1);
        if (spec.Size <= 0 || spec.Mean.Count != 3 || spec.Std.Count != 3)
        {
            throw new ArgumentException("image spec needs a positive size and three means and stds", nameof(spec));
        }

        Size = spec.Size;
        _configuration = new Configuration(
            new PngConfigurationModule(),
            new JpegConfigurationModule(),
            new WebpConfigurationModule(),
            new BmpConfigurationModule());
        _resampler = ParseResampler(spec.Resize);
        _centerCrop = string.Equals(spec.Crop, "center", StringComparison.OrdinalIgnoreCase);
        _bgr = string.Equals(spec.ChannelOrder, "BGR", StringComparison.OrdinalIgnoreCase);
        _lut = BuildLookup(spec);
    }

    /// <summary>Side of the square output in pixels.</summary>
    public int Size { get; }

    /// <summary>Floats written per image (3 x size x size).</summary>
    public int TensorLength => 3 * Size * Size;

    /// <summary>Checks format and limits from the header only.</summary>
    /// <exception cref="ImageRejectedException">Too large, unsupported or unreadable header.</exception>
    public ImageSourceInfo Identify(ReadOnlySpan<byte> encoded)
    {
        if (encoded.Length > _options.MaxEncodedBytes)
        {
            throw new ImageRejectedException(
                ImageRejectionReason.TooLarge, $"encoded image is {encoded.Length} bytes, the limit is {_options.MaxEncodedBytes}");
        }

        if (encoded.IsEmpty)
        {
            throw new ImageRejectedException(ImageRejectionReason.Corrupt, "encoded image is empty");
        }

        IImageInfo? info;
        IImageFormat? format;
        // ImageSharp 2.1 fails on hostile bytes with many exception types besides ImageFormatException (fuzzing found
        // InvalidOperationException, NullReferenceException, DivideByZeroException, InvalidDataException): any of them
        // means the bytes are not a usable image, never a server fault.
        try
        {
            info = IdentifyCore(encoded, out format);
        }
        catch (UnknownImageFormatException ex)
        {
            throw Unsupported(ex);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new ImageRejectedException(ImageRejectionReason.Corrupt, $"image header cannot be read: {ex.Message}", ex);
        }

        if (info is null || format is null)
        {
            throw Unsupported(null);
        }

        // ImageSharp decodes a cut-short JPEG without complaint (the missing rows come out grey): refuse it here.
        if (string.Equals(format.Name, "JPEG", StringComparison.OrdinalIgnoreCase) && !HasEndOfImage(encoded))
        {
            throw new ImageRejectedException(ImageRejectionReason.Corrupt, "JPEG data is truncated: no end-of-image marker after its last scan");
        }

        long pixels = (long)info.Width * info.Height;
        if (info.Width <= 0 || info.Height <= 0)
        {
            throw new ImageRejectedException(ImageRejectionReason.Corrupt, $"image header says {info.Width}x{info.Height}");
        }

        if (pixels > _options.MaxPixels)
        {
            throw new ImageRejectedException(
                ImageRejectionReason.TooLarge,
                $"image is {info.Width}x{info.Height} ({pixels} pixels), the limit is {_options.MaxPixels} pixels");
        }

        return new ImageSourceInfo(info.Width, info.Height, format.Name);
    }

    /// <summary>Decodes <paramref name="encoded"/> and writes normalized [3,H,W] floats into <paramref name="destination"/>.</summary>
    /// <exception cref="ImageRejectedException">Too large, unsupported or corrupt.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="TensorLength"/>.</exception>
    public ImageSourceInfo Preprocess(ReadOnlySpan<byte> encoded, Span<float> destination)
    {
        CheckDestination(destination);
        ImageSourceInfo info = Identify(encoded);
        Image<Rgb24> image;
        try
        {
            image = Image.Load<Rgb24>(_configuration, encoded);
        }
        catch (UnknownImageFormatException ex)
        {
            throw Unsupported(ex);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new ImageRejectedException(ImageRejectionReason.Corrupt, $"{info.Format} image cannot be decoded: {ex.Message}", ex);
        }

        using (image)
        {
            image.Mutate(x => x.AutoOrient());
            Fit(image);
            Normalize(image, destination);
        }

        return info;
    }

    /// <summary>Resizes (on a copy when needed) and normalizes an already decoded image; EXIF orientation is not applied.</summary>
    public void Preprocess(Image<Rgb24> image, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        CheckDestination(destination);
        if (image.Width == Size && image.Height == Size)
        {
            Normalize(image, destination);
            return;
        }

        using Image<Rgb24> copy = image.Clone();
        Fit(copy);
        Normalize(copy, destination);
    }

    /// <summary>Whether an end-of-image marker (FF D9) follows the last start-of-scan marker (FF DA). Scan data
    /// stuffs every FF with 00, so neither pair occurs inside it; bytes after the marker (camera trailers) are fine.</summary>
    private static bool HasEndOfImage(ReadOnlySpan<byte> jpeg)
    {
        int scan = jpeg.LastIndexOf([(byte)0xFF, (byte)0xDA]);
        return scan >= 0 && jpeg[scan..].IndexOf([(byte)0xFF, (byte)0xD9]) > 0;
    }

    private unsafe IImageInfo? IdentifyCore(ReadOnlySpan<byte> encoded, out IImageFormat? format)
    {
        fixed (byte* p = encoded)
        {
            using var stream = new UnmanagedMemoryStream(p, encoded.Length);
            return Image.Identify(_configuration, stream, out format);
        }
    }

    private void Fit(Image<Rgb24> image)
    {
        if (image.Width == Size && image.Height == Size)
        {
            return;
        }

        var resize = new ResizeOptions
        {
            Size = new Size(Size, Size),
            Sampler = _resampler,
            Mode = _centerCrop ? ResizeMode.Crop : ResizeMode.Stretch,
            Position = AnchorPositionMode.Center,
            Compand = false,
        };
        image.Mutate(x => x.Resize(resize));
    }

    private void Normalize(Image<Rgb24> image, Span<float> destination)
    {
        int plane = Size * Size;
        Span<float> c0 = destination[..plane];
        Span<float> c1 = destination.Slice(plane, plane);
        Span<float> c2 = destination.Slice(2 * plane, plane);
        ReadOnlySpan<float> lut0 = _lut.AsSpan(0, 256);
        ReadOnlySpan<float> lut1 = _lut.AsSpan(256, 256);
        ReadOnlySpan<float> lut2 = _lut.AsSpan(512, 256);
        for (int y = 0; y < Size; y++)
        {
            ReadOnlySpan<Rgb24> row = image.DangerousGetPixelRowMemory(y).Span;
            int o = y * Size;
            for (int x = 0; x < row.Length; x++)
            {
                Rgb24 px = row[x];
                byte first = _bgr ? px.B : px.R;
                byte third = _bgr ? px.R : px.B;
                c0[o + x] = lut0[first];
                c1[o + x] = lut1[px.G];
                c2[o + x] = lut2[third];
            }
        }
    }

    private void CheckDestination(Span<float> destination)
    {
        if (destination.Length < TensorLength)
        {
            throw new ArgumentException($"destination holds {destination.Length} floats, {TensorLength} needed", nameof(destination));
        }
    }

    private static ImageRejectedException Unsupported(Exception? inner) =>
        new(ImageRejectionReason.UnsupportedFormat, "image format is not supported (JPEG, PNG, WebP or BMP)", inner);

    // Reproduces the training script's float32 arithmetic, (p / 255 - mean) / std, so that unresized images match
    // PyTorch's pixel_values bit for bit; a scale that is not 1/integer falls back to a float multiply.
    private static float[] BuildLookup(ImageSpec spec)
    {
        var lut = new float[3 * 256];
        double inverse = 1.0 / spec.ValueScale;
        bool integral = Math.Abs(inverse - Math.Round(inverse)) < 1e-6;
        float divisor = (float)Math.Round(inverse);
        float scale = (float)spec.ValueScale;
        for (int c = 0; c < 3; c++)
        {
            for (int v = 0; v < 256; v++)
            {
                float x = integral ? v / divisor : v * scale;
                lut[(c * 256) + v] = (x - spec.Mean[c]) / spec.Std[c];
            }
        }

        return lut;
    }

    private static IResampler ParseResampler(string? resize)
    {
        string rule = (resize ?? "").TrimStart();
        if (rule.StartsWith("bicubic", StringComparison.OrdinalIgnoreCase))
        {
            return KnownResamplers.Bicubic;
        }

        if (rule.StartsWith("nearest", StringComparison.OrdinalIgnoreCase))
        {
            return KnownResamplers.NearestNeighbor;
        }

        if (rule.StartsWith("lanczos", StringComparison.OrdinalIgnoreCase))
        {
            return KnownResamplers.Lanczos3;
        }

        // PIL's BILINEAR is a triangle filter widened by the scale factor when shrinking; so is ImageSharp's Triangle.
        return KnownResamplers.Triangle;
    }
}
