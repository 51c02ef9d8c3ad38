using System.Globalization;
using System.Text;

namespace EdgeCloudVlm.Codec;

/// <summary>
/// The shape of an AlignedVQ codebook: alignment, projection and quantizer structure. Its text form
/// (for example <c>norm16x16-center-pca256-g2-s2-k256</c>) names configurations in reports and on the command line.
/// </summary>
public sealed record AlignedVqConfig
{
    /// <summary>Normalize each token by its mean and RMS (false gives the plain-VQ baseline).</summary>
    public bool NormalizeTokens { get; init; } = true;

    /// <summary>Levels of the mean statistic (2..65536).</summary>
    public int MeanLevels { get; init; } = 16;

    /// <summary>Levels of the log-RMS statistic (2..65536).</summary>
    public int RmsLevels { get; init; } = 16;

    /// <summary>Subtract the calibration mean vector before projection and quantization.</summary>
    public bool Center { get; init; } = true;

    /// <summary>
    /// Subtract each token position's calibration mean (instead of one per-channel mean) before anything else, and add
    /// it back after decoding. Learned position embeddings stay in a ViT's residual stream; removing them spares the
    /// codebooks from spending centroids on positions the decoder already knows. Ties the codebook to one token count.
    /// </summary>
    public bool PositionBias { get; init; }

    /// <summary>Keep this many PCA components (null: quantize in channel space).</summary>
    public int? ProjectionDimension { get; init; }

    /// <summary>Product-quantization groups.</summary>
    public int Groups { get; init; } = 1;

    /// <summary>Residual stages per group.</summary>
    public int Stages { get; init; } = 1;

    /// <summary>Centroids per stage codebook (2..65536).</summary>
    public int CodebookSize { get; init; } = 256;

    /// <summary>
    /// Per-token error bound as a fraction of the mean squared norm of the calibration tokens (after alignment), or
    /// null for none. With a bound, a token passes through the residual stages only while its remaining error exceeds
    /// the bound: tokens the alignment already reproduces well (a plain background patch) cost one skip symbol per
    /// stage, and the deeper stages are trained on, and spent on, the tokens that carry content.
    /// </summary>
    public double? ErrorBound { get; init; }

    /// <summary>
    /// With an <see cref="ErrorBound"/>, the bound for the first stage alone, as the same fraction (null: the error
    /// bound). A larger first bound leaves the tokens that differ only slightly from their alignment (background
    /// texture) at no stage at all, so that no stage moves them towards a centroid learned on content.
    /// </summary>
    public double? FirstStageBound { get; init; }

    /// <summary>Symbols of each stage index: the centroids, plus the skip symbol when there is an error bound.</summary>
    public int StageAlphabet => CodebookSize + (ErrorBound is null ? 0 : 1);

    /// <summary>Bits per token of indices and statistics before entropy coding and framing.</summary>
    public int NominalBitsPerToken =>
        (Groups * Stages * Codebooks.Codebook.BitWidth(StageAlphabet))
        + (NormalizeTokens ? Codebooks.Codebook.BitWidth(MeanLevels) + Codebooks.Codebook.BitWidth(RmsLevels) : 0);

    /// <summary>Checks ranges; throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    public void Validate(int dimension)
    {
        static void Check(bool ok, string message)
        {
            if (!ok)
            {
                throw new ArgumentException(message);
            }
        }

        Check(MeanLevels is >= 2 and <= 65536, "MeanLevels must be 2..65536.");
        Check(RmsLevels is >= 2 and <= 65536, "RmsLevels must be 2..65536.");
        Check(CodebookSize is >= 2 and <= 65536, "CodebookSize must be 2..65536.");
        Check(Stages >= 1, "Stages must be at least 1.");
        Check(ErrorBound is null || (ErrorBound > 0 && ErrorBound < 1), "ErrorBound must be between 0 and 1 (exclusive).");
        Check(FirstStageBound is null || (ErrorBound is not null && FirstStageBound > 0 && FirstStageBound < 1), "FirstStageBound needs an ErrorBound and must be between 0 and 1 (exclusive).");
        Check(ErrorBound is null || CodebookSize < 65536, "CodebookSize must be 2..65535 with an error bound (the skip symbol takes one).");
        Check(ProjectionDimension is null || (ProjectionDimension >= 1 && ProjectionDimension <= dimension), $"ProjectionDimension must be 1..{dimension}.");
        var quantized = ProjectionDimension ?? dimension;
        Check(Groups >= 1 && Groups <= quantized, $"Groups must be 1..{quantized}.");
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(NormalizeTokens ? string.Create(CultureInfo.InvariantCulture, $"norm{MeanLevels}x{RmsLevels}") : "raw");
        if (PositionBias)
        {
            text.Append("-pos");
        }

        if (Center)
        {
            text.Append("-center");
        }

        if (ProjectionDimension is { } p)
        {
            text.Append(CultureInfo.InvariantCulture, $"-pca{p}");
        }

        text.Append(CultureInfo.InvariantCulture, $"-g{Groups}-s{Stages}-k{CodebookSize}");
        if (ErrorBound is { } bound)
        {
            text.Append(CultureInfo.InvariantCulture, $"-e{bound:0.####}");
        }

        if (FirstStageBound is { } first)
        {
            text.Append(CultureInfo.InvariantCulture, $"-f{first:0.####}");
        }

        return text.ToString();
    }

    /// <summary>Parses the text form written by <see cref="ToString"/>.</summary>
    public static AlignedVqConfig Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var config = new AlignedVqConfig { NormalizeTokens = false, Center = false };
        foreach (var part in text.Split('-', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == "raw")
            {
                config = config with { NormalizeTokens = false };
            }
            else if (part.StartsWith("norm", StringComparison.Ordinal))
            {
                var levels = part[4..].Split('x');
                config = config with
                {
                    NormalizeTokens = true,
                    MeanLevels = ParseInt(levels[0], text),
                    RmsLevels = levels.Length > 1 ? ParseInt(levels[1], text) : ParseInt(levels[0], text),
                };
            }
            else if (part == "center")
            {
                config = config with { Center = true };
            }
            else if (part == "pos")
            {
                config = config with { PositionBias = true };
            }
            else if (part.StartsWith("pca", StringComparison.Ordinal))
            {
                config = config with { ProjectionDimension = ParseInt(part[3..], text) };
            }
            else if (part[0] == 'g')
            {
                config = config with { Groups = ParseInt(part[1..], text) };
            }
            else if (part[0] == 's')
            {
                config = config with { Stages = ParseInt(part[1..], text) };
            }
            else if (part[0] == 'k')
            {
                config = config with { CodebookSize = ParseInt(part[1..], text) };
            }
            else if (part[0] == 'e')
            {
                config = config with { ErrorBound = ParseFraction(part[1..], text) };
            }
            else if (part[0] == 'f')
            {
                config = config with { FirstStageBound = ParseFraction(part[1..], text) };
            }
            else
            {
                throw new FormatException($"Unknown part '{part}' in codec configuration '{text}'.");
            }
        }

        return config;
    }

    private static double ParseFraction(string value, string text) =>
        double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var result)
            ? result
            : throw new FormatException($"'{value}' is not a number in codec configuration '{text}'.");

    private static int ParseInt(string value, string text) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var result)
            ? result
            : throw new FormatException($"'{value}' is not a number in codec configuration '{text}'.");
}
