using EdgeCloudVlm.Inference.Preprocessing;

namespace EdgeCloudVlm.Fuzz.Targets;

/// <summary>
/// The image limit checks: <see cref="ImagePreprocessor.Identify"/> reads only the header and must refuse with
/// <see cref="ImageRejectedException"/> anything unsupported, unreadable or over the pixel limit; what it lets through
/// is within the limit. Small accepted images are also decoded in full, which must succeed or be refused the same way.
/// </summary>
public sealed class ImageTarget(FuzzSubjects subjects) : IFuzzTarget
{
    // Decoding in full is what makes an image case expensive; only images this small are decoded.
    private const long MaxDecodedPixels = 256 * 256;

    private static readonly HashSet<string> Formats = new(StringComparer.OrdinalIgnoreCase) { "PNG", "JPEG", "WEBP", "BMP" };

    /// <inheritdoc />
    public string Name => "image";

    /// <inheritdoc />
    public FuzzOutcome Run(ReadOnlySpan<byte> input)
    {
        ImagePreprocessor preprocessor = subjects.Preprocessor;
        ImageSourceInfo info;
        try
        {
            info = preprocessor.Identify(input);
        }
        catch (ImageRejectedException ex)
        {
            if (!Enum.IsDefined(ex.Reason))
            {
                throw new FuzzInvariantException($"image refused without a reason: {ex.Message}");
            }

            return FuzzOutcome.Rejected;
        }

        long pixels = (long)info.Width * info.Height;
        if (info.Width <= 0 || info.Height <= 0 || pixels > FuzzSubjects.MaxPixels || !Formats.Contains(info.Format))
        {
            throw new FuzzInvariantException($"Identify let through {info.Format} {info.Width}x{info.Height} (limit {FuzzSubjects.MaxPixels} pixels)");
        }

        if (pixels > MaxDecodedPixels)
        {
            return FuzzOutcome.Accepted;
        }

        var pixelValues = new float[preprocessor.TensorLength];
        try
        {
            preprocessor.Preprocess(input, pixelValues);
        }
        catch (ImageRejectedException)
        {
            return FuzzOutcome.Rejected;
        }

        return FuzzOutcome.Accepted;
    }
}
