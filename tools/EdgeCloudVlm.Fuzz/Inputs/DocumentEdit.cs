using CsCheck;
using EdgeCloudVlm.Codec.Codebooks;

namespace EdgeCloudVlm.Fuzz.Inputs;

/// <summary>What a structural edit of a codebook document changes.</summary>
public enum DocumentEditKind
{
    /// <summary>Schema version.</summary>
    SchemaVersion,
    /// <summary>Tensor dimension.</summary>
    Dimension,
    /// <summary>Group count.</summary>
    Groups,
    /// <summary>Stage count.</summary>
    Stages,
    /// <summary>One entry of the dimension order.</summary>
    DimensionOrderEntry,
    /// <summary>Length of the dimension order.</summary>
    DimensionOrderLength,
    /// <summary>A stage codebook's size.</summary>
    StageSize,
    /// <summary>A stage codebook's width.</summary>
    StageDimension,
    /// <summary>Length of a stage's centroids.</summary>
    CentroidsLength,
    /// <summary>One centroid value.</summary>
    CentroidValue,
    /// <summary>A stage's frequency scale bits.</summary>
    ScaleBits,
    /// <summary>One frequency.</summary>
    Frequency,
    /// <summary>Length of a frequency table.</summary>
    FrequenciesLength,
    /// <summary>One statistic level.</summary>
    Level,
    /// <summary>Number of statistic levels.</summary>
    LevelsLength,
    /// <summary>Token normalization on or off.</summary>
    NormalizeTokens,
    /// <summary>Projection output dimension.</summary>
    ProjectionDimension,
    /// <summary>Projection removed or its components resized.</summary>
    ProjectionComponents,
    /// <summary>Center or channel bias resized or poisoned.</summary>
    CenterAndBias,
    /// <summary>Number of stage codebooks.</summary>
    CodebookCount,
    /// <summary>A section set to null.</summary>
    NullSection,
    /// <summary>Error-bound stop energies added, removed, resized or poisoned.</summary>
    StopEnergy,
}

/// <summary>One structural change to a codebook document: the kind, where, and the value written.</summary>
public readonly record struct DocumentEdit(DocumentEditKind Kind, int Index, int Value, float Number)
{
    private static readonly int[] Interesting = [-1, 0, 1, 2, 3, 7, 16, 255, 256, 65535, 65536, 65537, int.MaxValue, int.MinValue];
    private static readonly float[] Numbers = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, 1e38f, -1e38f, 1e-45f];

    /// <summary>Generator of edits whose values lean towards boundaries.</summary>
    public static Gen<DocumentEdit> Generator { get; } = Gen.Select(
        Gen.Enum<DocumentEditKind>(),
        Gen.Int[0, 1 << 16],
        Gen.Frequency((3, Gen.Int[0, Interesting.Length - 1].Select(i => Interesting[i])), (1, Gen.Int)),
        Gen.Frequency((1, Gen.Int[0, Numbers.Length - 1].Select(i => Numbers[i])), (2, Gen.Float)),
        (kind, index, value, number) => new DocumentEdit(kind, index, value, number));

    /// <summary>Applies the edit in place; never allocates more than a few hundred thousand elements.</summary>
    public void Apply(CodebookDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        QuantizerSection quantizer = document.Quantizer;
        AlignmentSection alignment = document.Alignment;
        StageCodebook? stage = quantizer is { Codebooks.Length: > 0 } ? quantizer.Codebooks[Index % quantizer.Codebooks.Length] : null;
        int length = Math.Clamp(Value, 0, 1 << 18);
        float number = Number;
        switch (Kind)
        {
            case DocumentEditKind.SchemaVersion:
                document.SchemaVersion = Value;
                break;
            case DocumentEditKind.Dimension:
                document.Dimension = Value;
                break;
            case DocumentEditKind.Groups when quantizer is not null:
                quantizer.Groups = Value;
                break;
            case DocumentEditKind.Stages when quantizer is not null:
                quantizer.Stages = Value;
                break;
            case DocumentEditKind.DimensionOrderEntry when quantizer is { DimensionOrder.Length: > 0 }:
                quantizer.DimensionOrder[Index % quantizer.DimensionOrder.Length] = Value;
                break;
            case DocumentEditKind.DimensionOrderLength when quantizer is not null:
                quantizer.DimensionOrder = Resize(quantizer.DimensionOrder, length, i => i);
                break;
            case DocumentEditKind.StageSize when stage is not null:
                stage.Size = Value;
                break;
            case DocumentEditKind.StageDimension when stage is not null:
                stage.Dimension = Value;
                break;
            case DocumentEditKind.CentroidsLength when stage is not null:
                stage.Centroids = Resize(stage.Centroids, length, _ => number);
                break;
            case DocumentEditKind.CentroidValue when stage is { Centroids.Length: > 0 }:
                stage.Centroids[Index % stage.Centroids.Length] = Number;
                break;
            case DocumentEditKind.ScaleBits when stage?.Frequencies is not null:
                stage.Frequencies.ScaleBits = Value;
                break;
            case DocumentEditKind.Frequency when stage?.Frequencies is { Frequencies.Length: > 0 }:
                stage.Frequencies.Frequencies[Index % stage.Frequencies.Frequencies.Length] = unchecked((uint)Value);
                break;
            case DocumentEditKind.FrequenciesLength when stage?.Frequencies is not null:
                stage.Frequencies.Frequencies = Resize(stage.Frequencies.Frequencies, length, _ => 1u);
                break;
            case DocumentEditKind.Level when alignment is { RelativeMeanLevels.Length: > 0 }:
                if ((Index & 1) == 0)
                {
                    alignment.RelativeMeanLevels[Index % alignment.RelativeMeanLevels.Length] = Number;
                }
                else if (alignment.Log2RmsLevels.Length > 0)
                {
                    alignment.Log2RmsLevels[Index % alignment.Log2RmsLevels.Length] = Number;
                }

                break;
            case DocumentEditKind.LevelsLength when alignment is not null:
                alignment.Log2RmsLevels = Resize(alignment.Log2RmsLevels, length, i => i);
                break;
            case DocumentEditKind.NormalizeTokens when alignment is not null:
                alignment.NormalizeTokens = !alignment.NormalizeTokens;
                break;
            case DocumentEditKind.ProjectionDimension when document.Projection is not null:
                document.Projection.OutputDimension = Value;
                break;
            case DocumentEditKind.ProjectionComponents:
                if (document.Projection is null || (Index & 3) == 0)
                {
                    document.Projection = (Index & 1) == 0 ? null : new ProjectionSection { OutputDimension = Math.Max(1, Value % 64) };
                }
                else
                {
                    document.Projection.Components = Resize(document.Projection.Components, length, _ => number);
                }

                break;
            case DocumentEditKind.CenterAndBias when alignment is not null:
                if ((Index & 1) == 0)
                {
                    alignment.Center = (Index & 2) == 0 ? null : Resize(alignment.Center ?? [], length, _ => number);
                }
                else
                {
                    alignment.ChannelBias = (Index & 2) == 0 ? null : Resize(alignment.ChannelBias ?? [], length, _ => number);
                }

                break;
            case DocumentEditKind.CodebookCount when quantizer is not null:
                quantizer.Codebooks = Resize(quantizer.Codebooks, Math.Min(length, 64), i => quantizer.Codebooks.Length > 0 ? quantizer.Codebooks[i % quantizer.Codebooks.Length] : new StageCodebook());
                break;
            case DocumentEditKind.StopEnergy when quantizer is not null:
                if ((Index & 3) == 0)
                {
                    quantizer.StopEnergy = (Index & 4) == 0 ? null : new float[Math.Min(length, 4096)];
                }
                else if (quantizer.StopEnergy is { Length: > 0 } stopEnergy && (Index & 1) == 1)
                {
                    stopEnergy[Index % stopEnergy.Length] = number;
                }
                else
                {
                    quantizer.StopEnergy = Resize(quantizer.StopEnergy ?? [], Math.Min(length, 4096), _ => Math.Abs(number));
                }

                break;
            case DocumentEditKind.NullSection:
                switch (Index % 5)
                {
                    case 0: document.Alignment = null!; break;
                    case 1: document.Quantizer = null!; break;
                    case 2: document.Training = null!; break;
                    case 3 when stage is not null: stage.Frequencies = null; break;
                    default: alignment?.Log2RmsFrequencies?.Frequencies.AsSpan().Clear(); break;
                }

                break;
        }
    }

    private static T[] Resize<T>(T[] source, int length, Func<int, T> fill)
    {
        var result = new T[length];
        for (int i = 0; i < length; i++)
        {
            result[i] = i < source.Length ? source[i] : fill(i);
        }

        return result;
    }
}
