using MessagePack;

namespace EdgeCloudVlm.Codec.Codebooks;

/// <summary>
/// The serialized codebook (schema version 1). Integer keys keep the MessagePack bytes canonical: the same content
/// always serializes to the same bytes, whose SHA-256 is the codebook id.
/// </summary>
[MessagePackObject]
public sealed class CodebookDocument
{
    /// <summary>The schema version this build writes.</summary>
    public const int CurrentSchemaVersion = 1;

    /// <summary>Schema version of this document.</summary>
    [Key(0)] public int SchemaVersion { get; set; } = CurrentSchemaVersion;

    /// <summary>The model this codebook was trained for (its manifest id).</summary>
    [Key(1)] public string ModelId { get; set; } = "";

    /// <summary>Name of the split tensor (for example "vision.block1.output").</summary>
    [Key(2)] public string SplitName { get; set; } = "";

    /// <summary>Channels per token of the split tensor.</summary>
    [Key(3)] public int Dimension { get; set; }

    /// <summary>Per-token alignment: statistics quantizers and centering.</summary>
    [Key(4)] public AlignmentSection Alignment { get; set; } = new();

    /// <summary>Optional PCA projection applied after centering; null when the quantizer works in channel space.</summary>
    [Key(5)] public ProjectionSection? Projection { get; set; }

    /// <summary>Grouped / residual vector quantizer.</summary>
    [Key(6)] public QuantizerSection Quantizer { get; set; } = new();

    /// <summary>How the codebook was trained.</summary>
    [Key(7)] public TrainingMetadata Training { get; set; } = new();
}

/// <summary>Per-token alignment parameters.</summary>
[MessagePackObject]
public sealed class AlignmentSection
{
    /// <summary>True: tokens are normalized by their mean and RMS, which travel as two symbols per token. False: plain VQ.</summary>
    [Key(0)] public bool NormalizeTokens { get; set; }

    /// <summary>Sorted reconstruction levels of mean / RMS (the mean measured in units of the token's RMS).</summary>
    [Key(1)] public float[] RelativeMeanLevels { get; set; } = [];

    /// <summary>Sorted reconstruction levels of log2(RMS).</summary>
    [Key(2)] public float[] Log2RmsLevels { get; set; } = [];

    /// <summary>Frequency table of the mean symbols (for entropy coding).</summary>
    [Key(3)] public FrequencySection? RelativeMeanFrequencies { get; set; }

    /// <summary>Frequency table of the RMS symbols.</summary>
    [Key(4)] public FrequencySection? Log2RmsFrequencies { get; set; }

    /// <summary>Mean of the normalized calibration vectors, subtracted before projection and quantization; null for none.</summary>
    [Key(5)] public float[]? Center { get; set; }

    /// <summary>
    /// Per-channel mean of the raw calibration features, subtracted before the token statistics are measured.
    /// Massive activations sit in a few channels with nearly constant values; removing them first keeps them from
    /// dominating each token's RMS. Null for none.
    /// </summary>
    [Key(6)] public float[]? ChannelBias { get; set; }

    /// <summary>
    /// Per-position mean of the raw calibration features, positions x dimension, row-major; subtracted from the token
    /// at each position instead of <see cref="ChannelBias"/>. Its row count is the only token count the codebook
    /// accepts. Null for none.
    /// </summary>
    [Key(7)] public float[]? PositionBias { get; set; }
}

/// <summary>A PCA basis fitted on calibration vectors.</summary>
[MessagePackObject]
public sealed class ProjectionSection
{
    /// <summary>Number of components kept (rows of <see cref="Components"/>).</summary>
    [Key(0)] public int OutputDimension { get; set; }

    /// <summary>Row-major OutputDimension x Dimension orthonormal rows, by decreasing variance.</summary>
    [Key(1)] public float[] Components { get; set; } = [];

    /// <summary>Calibration variance along each kept component.</summary>
    [Key(2)] public double[] Variances { get; set; } = [];
}

/// <summary>Grouped (product) and residual (multi-stage) vector quantizer.</summary>
[MessagePackObject]
public sealed class QuantizerSection
{
    /// <summary>Number of groups the quantized vector is split into.</summary>
    [Key(0)] public int Groups { get; set; } = 1;

    /// <summary>Residual stages per group.</summary>
    [Key(1)] public int Stages { get; set; } = 1;

    /// <summary>
    /// Which coordinate of the quantized vector each group position takes: group g owns positions
    /// [g * len / Groups, (g + 1) * len / Groups). Lets groups be balanced by energy.
    /// </summary>
    [Key(2)] public int[] DimensionOrder { get; set; } = [];

    /// <summary>Codebooks indexed by group * Stages + stage.</summary>
    [Key(3)] public StageCodebook[] Codebooks { get; set; } = [];

    /// <summary>
    /// The squared error up to which a token skips a stage: per stage codebook (indexed like <see cref="Codebooks"/>),
    /// and with a position bias per token position within each (stage-major); null when every token uses every stage.
    /// With it, stage symbol 0 means "no centroid at this stage" and symbol i + 1 means centroid i, so each stage's
    /// frequency tables have <see cref="StageCodebook.Size"/> + 1 entries.
    /// </summary>
    [Key(4)] public float[]? StopEnergy { get; set; }
}

/// <summary>One stage's centroids and their index frequencies.</summary>
[MessagePackObject]
public sealed class StageCodebook
{
    /// <summary>Number of centroids (2..65536).</summary>
    [Key(0)] public int Size { get; set; }

    /// <summary>Centroid dimension (the group's width).</summary>
    [Key(1)] public int Dimension { get; set; }

    /// <summary>Row-major Size x Dimension centroids.</summary>
    [Key(2)] public float[] Centroids { get; set; } = [];

    /// <summary>Index frequencies on the calibration set.</summary>
    [Key(3)] public FrequencySection? Frequencies { get; set; }

    /// <summary>
    /// Index frequencies at each token position, for codebooks with a position bias (null otherwise). Entropy coding
    /// then uses the table of the token's position: a background patch at a given position almost always lands in the
    /// same few cells, which one table for all positions cannot know.
    /// </summary>
    [Key(4)] public FrequencySection[]? PositionFrequencies { get; set; }
}

/// <summary>A normalized frequency table as stored.</summary>
[MessagePackObject]
public sealed class FrequencySection
{
    /// <summary>Frequencies sum to 2^ScaleBits.</summary>
    [Key(0)] public int ScaleBits { get; set; }

    /// <summary>One positive frequency per symbol.</summary>
    [Key(1)] public uint[] Frequencies { get; set; } = [];
}

/// <summary>Provenance of a trained codebook. No timestamps, so training is reproducible byte for byte.</summary>
[MessagePackObject]
public sealed class TrainingMetadata
{
    /// <summary>What the calibration features were.</summary>
    [Key(0)] public string DataDescription { get; set; } = "";

    /// <summary>Random seed of k-means and sampling.</summary>
    [Key(1)] public int Seed { get; set; }

    /// <summary>Maximum Lloyd iterations per stage.</summary>
    [Key(2)] public int Iterations { get; set; }

    /// <summary>Calibration vectors used.</summary>
    [Key(3)] public long SampleCount { get; set; }

    /// <summary>Relative squared error of the whole pipeline on the calibration set.</summary>
    [Key(4)] public double FinalDistortion { get; set; }

    /// <summary>Mean squared error after each stage, group-major.</summary>
    [Key(5)] public double[] StageDistortions { get; set; } = [];

    /// <summary>The configuration in its text form.</summary>
    [Key(6)] public string Configuration { get; set; } = "";
}
