using EdgeCloudVlm.Codec.Frames;
using EdgeCloudVlm.Codec.Coding;
using EdgeCloudVlm.Codec.Quantization;

namespace EdgeCloudVlm.Codec.Codebooks;

/// <summary>
/// A validated, ready-to-use codebook: the stored document plus the structures the codec needs at run time
/// (centroid sets with cached norms, frequency tables, group layout). Immutable and thread-safe.
/// </summary>
public sealed class Codebook
{
    private readonly byte[] _fileBytes;

    internal Codebook(CodebookDocument document, CodebookId id, byte[] fileBytes)
    {
        Document = document;
        Id = id;
        _fileBytes = fileBytes;
        Validate(document);

        Dimension = document.Dimension;
        NormalizesTokens = document.Alignment.NormalizeTokens;
        QuantizedDimension = document.Projection?.OutputDimension ?? Dimension;
        Groups = document.Quantizer.Groups;
        Stages = document.Quantizer.Stages;
        Positions = document.Alignment.PositionBias is { } positionBias ? positionBias.Length / Dimension : 0;
        StopEnergy = document.Quantizer.StopEnergy;

        var stageCount = Groups * Stages;
        Centroids = new CentroidSet[stageCount];
        IndexTables = new FrequencyTable[stageCount];
        for (var i = 0; i < stageCount; i++)
        {
            var stage = document.Quantizer.Codebooks[i];
            Centroids[i] = new CentroidSet(stage.Centroids, stage.Size, stage.Dimension);
            IndexTables[i] = ToTable(stage.Frequencies, StageAlphabet(i), $"codebook {i}");
        }

        PositionIndexTables = PositionTables(Positions);

        if (NormalizesTokens)
        {
            MeanTable = ToTable(document.Alignment.RelativeMeanFrequencies, document.Alignment.RelativeMeanLevels.Length, "mean statistic");
            RmsTable = ToTable(document.Alignment.Log2RmsFrequencies, document.Alignment.Log2RmsLevels.Length, "RMS statistic");
        }

        if (document.Projection is { } projection)
        {
            ProjectionTransposed = Transpose(projection.Components, projection.OutputDimension, Dimension);
        }

        GroupOffsets = new int[Groups + 1];
        for (var g = 0; g <= Groups; g++)
        {
            GroupOffsets[g] = g * QuantizedDimension / Groups;
        }
    }

    /// <summary>The stored form.</summary>
    public CodebookDocument Document { get; }

    /// <summary>SHA-256 of the canonical document bytes.</summary>
    public CodebookId Id { get; }

    /// <summary>The exact file bytes (what the cloud serves and the edge verifies).</summary>
    public ReadOnlySpan<byte> FileBytes => _fileBytes;

    /// <summary>Channels per token.</summary>
    public int Dimension { get; }

    /// <summary>Whether tokens are normalized by mean and RMS (AlignedVQ) or quantized raw (plain VQ).</summary>
    public bool NormalizesTokens { get; }

    /// <summary>Tokens per frame the codebook's position bias is for; 0 when it has none (any token count).</summary>
    public int Positions { get; }

    /// <summary>Length of the vector the quantizer sees (after an optional projection).</summary>
    public int QuantizedDimension { get; }

    /// <summary>Number of groups.</summary>
    public int Groups { get; }

    /// <summary>Residual stages per group.</summary>
    public int Stages { get; }

    /// <summary>Whether tokens skip stages once within their error bound; stage symbol 0 is then the skip symbol and
    /// symbol i + 1 is centroid i.</summary>
    internal bool HasErrorBound => StopEnergy is not null;

    private float[]? StopEnergy { get; }

    /// <summary>The squared error up to which the token at <paramref name="token"/> of a stream of frames skips stage
    /// codebook <paramref name="stage"/>.</summary>
    internal float StopEnergyAt(int stage, int token) =>
        Positions > 0 ? StopEnergy![(stage * Positions) + (token % Positions)] : StopEnergy![stage];

    /// <summary>Centroids indexed by group * Stages + stage.</summary>
    internal CentroidSet[] Centroids { get; }

    /// <summary>Index frequency tables indexed like <see cref="Centroids"/>.</summary>
    internal FrequencyTable[] IndexTables { get; }

    /// <summary>Index frequency tables per stage codebook and token position ([stage][position]); null when the codebook
    /// has none (then every position uses <see cref="IndexTables"/>).</summary>
    internal FrequencyTable[][]? PositionIndexTables { get; }

    /// <summary>Frequency table of the mean symbols, when tokens are normalized.</summary>
    internal FrequencyTable? MeanTable { get; }

    /// <summary>Frequency table of the RMS symbols, when tokens are normalized.</summary>
    internal FrequencyTable? RmsTable { get; }

    /// <summary>The projection's components transposed to Dimension x QuantizedDimension, so reconstruction is also A · Bᵀ.</summary>
    internal float[]? ProjectionTransposed { get; }

    /// <summary>Group g covers positions [GroupOffsets[g], GroupOffsets[g + 1]) of the reordered vector.</summary>
    internal int[] GroupOffsets { get; }

    /// <summary>Fixed bits per token of the indices and statistics when bit packed (before framing).</summary>
    public int NominalBitsPerToken
    {
        get
        {
            var bits = 0;
            for (var i = 0; i < Centroids.Length; i++)
            {
                bits += BitWidth(StageAlphabet(i));
            }

            if (NormalizesTokens)
            {
                bits += BitWidth(Document.Alignment.RelativeMeanLevels.Length) + BitWidth(Document.Alignment.Log2RmsLevels.Length);
            }

            return bits;
        }
    }

    private static float[] Transpose(float[] matrix, int rows, int columns)
    {
        var result = new float[matrix.Length];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                result[(c * rows) + r] = matrix[(r * columns) + c];
            }
        }

        return result;
    }

    /// <summary>Symbols of stage codebook <paramref name="stage"/>'s index column: its centroids, plus the skip symbol
    /// under an error bound.</summary>
    internal int StageAlphabet(int stage) => Document.Quantizer.Codebooks[stage].Size + (HasErrorBound ? 1 : 0);

    internal static int BitWidth(int symbolCount) => symbolCount <= 1 ? 1 : 32 - int.LeadingZeroCount(symbolCount - 1);

    private static FrequencyTable ToTable(FrequencySection? section, int symbolCount, string what)
    {
        if (section is null)
        {
            return FrequencyTable.FromCounts(new long[symbolCount]);
        }

        if (section.Frequencies.Length != symbolCount)
        {
            throw new InvalidDataException($"Codebook {what} frequency table has {section.Frequencies.Length} entries for {symbolCount} symbols.");
        }

        return FrequencyTable.FromFrequencies(section.Frequencies, section.ScaleBits);
    }

    private FrequencyTable[][]? PositionTables(int positions)
    {
        var stages = Document.Quantizer.Codebooks;
        if (Array.TrueForAll(stages, stage => stage.PositionFrequencies is null))
        {
            return null;
        }

        var tables = new FrequencyTable[stages.Length][];
        for (var i = 0; i < stages.Length; i++)
        {
            var sections = stages[i].PositionFrequencies;
            if (positions == 0 || sections is null || sections.Length != positions)
            {
                throw new InvalidDataException(
                    $"Codebook {i} has {sections?.Length ?? 0} position frequency tables; a codebook with them needs one per position of its position bias ({positions}) in every stage.");
            }

            tables[i] = new FrequencyTable[positions];
            for (var position = 0; position < positions; position++)
            {
                tables[i][position] = ToTable(sections[position] ?? throw new InvalidDataException($"Codebook {i} position {position} frequency table is missing."),
                    StageAlphabet(i), $"codebook {i} position {position}");
            }
        }

        return tables;
    }

    private static void Validate(CodebookDocument document)
    {
        if (document.SchemaVersion != CodebookDocument.CurrentSchemaVersion)
        {
            throw new InvalidDataException($"Codebook schema version {document.SchemaVersion} is not supported.");
        }

        var dimension = document.Dimension;
        if (dimension is < 1 or > Frames.FrameFormat.MaxExtent)
        {
            throw new InvalidDataException($"Codebook dimension {dimension} is out of range.");
        }

        var alignment = document.Alignment ?? throw new InvalidDataException("Codebook has no alignment section.");
        if (alignment.RelativeMeanLevels is null || alignment.Log2RmsLevels is null)
        {
            throw new InvalidDataException("Codebook alignment section has no statistic levels.");
        }

        if (alignment.NormalizeTokens)
        {
            CheckLevels(alignment.RelativeMeanLevels, "mean");
            CheckLevels(alignment.Log2RmsLevels, "RMS");
        }

        if (alignment.Center is { } center && center.Length != dimension)
        {
            throw new InvalidDataException($"Codebook center has {center.Length} values for dimension {dimension}.");
        }

        if (alignment.ChannelBias is { } bias && bias.Length != dimension)
        {
            throw new InvalidDataException($"Codebook channel bias has {bias.Length} values for dimension {dimension}.");
        }

        if (alignment.PositionBias is { } positionBias
            && (positionBias.Length == 0 || positionBias.Length % dimension != 0 || positionBias.Length / dimension > FrameFormat.MaxExtent))
        {
            throw new InvalidDataException($"Codebook position bias has {positionBias.Length} values, not whole rows of dimension {dimension}.");
        }

        var quantizedDimension = dimension;
        if (document.Projection is { } projection)
        {
            if (projection.OutputDimension < 1 || projection.OutputDimension > dimension || projection.Components is null
                || projection.Components.Length != (long)projection.OutputDimension * dimension)
            {
                throw new InvalidDataException("Codebook projection shape does not match its dimension.");
            }

            quantizedDimension = projection.OutputDimension;
        }

        var quantizer = document.Quantizer ?? throw new InvalidDataException("Codebook has no quantizer section.");
        if (quantizer.Groups < 1 || quantizer.Stages < 1 || quantizer.Groups > quantizedDimension)
        {
            throw new InvalidDataException($"Codebook has {quantizer.Groups} groups and {quantizer.Stages} stages for {quantizedDimension} dimensions.");
        }

        if (quantizer.DimensionOrder is null || quantizer.Codebooks is null)
        {
            throw new InvalidDataException("Codebook quantizer section has no dimension order or no stage codebooks.");
        }

        if (quantizer.DimensionOrder.Length != quantizedDimension || !IsPermutation(quantizer.DimensionOrder))
        {
            throw new InvalidDataException("Codebook dimension order is not a permutation of the quantized dimensions.");
        }

        if (quantizer.Codebooks.Length != quantizer.Groups * quantizer.Stages)
        {
            throw new InvalidDataException($"Codebook holds {quantizer.Codebooks.Length} stage codebooks, expected {quantizer.Groups * quantizer.Stages}.");
        }

        if (quantizer.StopEnergy is { } stopEnergy
            && (stopEnergy.Length != (long)quantizer.Groups * quantizer.Stages * Math.Max(1, (alignment.PositionBias?.Length ?? 0) / dimension)
                || !Array.TrueForAll(stopEnergy, e => float.IsFinite(e) && e >= 0)))
        {
            throw new InvalidDataException("Codebook stop energies must be finite, non-negative and one per stage codebook (times positions, with a position bias).");
        }

        // Under an error bound the skip symbol takes one of the 65536 an alphabet may have.
        var maxSize = quantizer.StopEnergy is null ? 65536 : 65535;
        for (var g = 0; g < quantizer.Groups; g++)
        {
            var width = ((g + 1) * quantizedDimension / quantizer.Groups) - (g * quantizedDimension / quantizer.Groups);
            for (var s = 0; s < quantizer.Stages; s++)
            {
                var stage = quantizer.Codebooks[(g * quantizer.Stages) + s];
                if (stage?.Centroids is null || stage.Size < 2 || stage.Size > maxSize || stage.Dimension != width || stage.Centroids.Length != (long)stage.Size * width)
                {
                    throw new InvalidDataException($"Codebook group {g} stage {s} has an inconsistent shape.");
                }
            }
        }
    }

    private static void CheckLevels(float[] levels, string what)
    {
        if (levels.Length is < 2 or > 65536)
        {
            throw new InvalidDataException($"Codebook {what} quantizer needs 2..65536 levels.");
        }

        for (var i = 1; i < levels.Length; i++)
        {
            if (!(levels[i] > levels[i - 1]))
            {
                throw new InvalidDataException($"Codebook {what} levels are not strictly increasing.");
            }
        }
    }

    private static bool IsPermutation(int[] order)
    {
        var seen = new bool[order.Length];
        foreach (var value in order)
        {
            if ((uint)value >= (uint)order.Length || seen[value])
            {
                return false;
            }

            seen[value] = true;
        }

        return true;
    }
}
