namespace EdgeCloudVlm.Codec.Quantization;

/// <summary>
/// An immutable table of <see cref="Count"/> centroids of dimension <see cref="Dimension"/>, stored row-major, with each
/// row's squared norm cached for the <c>||c||^2 - 2 x.c</c> nearest-centroid search.
/// </summary>
public sealed class CentroidSet
{
    /// <summary>The largest supported number of centroids (indices fit in 16 bits).</summary>
    public const int MaxCount = 65536;

    private readonly float[] _values;
    private readonly float[] _squaredNorms;
    private float[]? _laneLayout;

    /// <summary>Creates a centroid table from a copy of <paramref name="centroids"/>.</summary>
    /// <param name="centroids">count x dimension values, row-major; copied, so later changes to the array do not leak in.</param>
    /// <param name="count">Number of centroids, 1..65536.</param>
    /// <param name="dimension">Length of each centroid, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">count or dimension is out of range.</exception>
    /// <exception cref="ArgumentException">The array length is not count*dimension or a value is NaN or infinite.</exception>
    public CentroidSet(float[] centroids, int count, int dimension)
        : this(CopyValidated(centroids, count, dimension), count, dimension, validated: true)
    {
    }

    private CentroidSet(float[] values, int count, int dimension, bool validated)
    {
        if (!validated)
        {
            Validate(values, count, dimension);
        }

        _values = values;
        Count = count;
        Dimension = dimension;
        _squaredNorms = new float[count];
        ComputeSquaredNorms(values, count, dimension, _squaredNorms);
    }

    /// <summary>Wraps <paramref name="values"/> without copying; the caller must not touch the array afterwards.</summary>
    internal static CentroidSet Wrap(float[] values, int count, int dimension) => new(values, count, dimension, validated: false);

    /// <summary>Number of centroids.</summary>
    public int Count { get; }

    /// <summary>Length of each centroid.</summary>
    public int Dimension { get; }

    /// <summary>All centroids, row-major, <see cref="Count"/> * <see cref="Dimension"/> values.</summary>
    public ReadOnlySpan<float> Values => _values;

    /// <summary>||c||^2 of each centroid, <see cref="Count"/> values.</summary>
    public ReadOnlySpan<float> SquaredNorms => _squaredNorms;

    /// <summary>The centroid at <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">index is not in 0..Count-1.</exception>
    public ReadOnlySpan<float> Row(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return _values.AsSpan(index * Dimension, Dimension);
    }

    /// <summary>The search layout for <see cref="SimdSupport.Widest"/>, built on first use and then shared (the set is immutable).</summary>
    internal float[] LaneLayout => _laneLayout ?? BuildLaneLayout();

    /// <summary>Writes ||row||^2 of each row, accumulated in double so the cached norm is as exact as a float allows.</summary>
    internal static void ComputeSquaredNorms(ReadOnlySpan<float> values, int count, int dimension, Span<float> norms)
    {
        for (int c = 0; c < count; c++)
        {
            norms[c] = SquaredNorm(values.Slice(c * dimension, dimension));
        }
    }

    /// <summary>||row||^2 accumulated in double.</summary>
    internal static float SquaredNorm(ReadOnlySpan<float> row)
    {
        double sum = 0;
        foreach (float v in row)
        {
            sum += (double)v * v;
        }

        return (float)sum;
    }

    private unsafe float[] BuildLaneLayout()
    {
        int lanes = NearestCentroid.LaneCount(SimdSupport.Widest);
        var layout = new float[NearestCentroid.LaneLayoutLength(Count, Dimension, lanes)];
        fixed (float* c = _values)
        fixed (float* norms = _squaredNorms)
        fixed (float* target = layout)
        {
            NearestCentroid.BuildLaneLayout(c, norms, Count, Dimension, lanes, target);
        }

        // Racing builders produce identical arrays, so whichever reference wins is fine.
        _laneLayout = layout;
        return layout;
    }

    private static float[] CopyValidated(float[] centroids, int count, int dimension)
    {
        ArgumentNullException.ThrowIfNull(centroids);
        Validate(centroids, count, dimension);
        return (float[])centroids.Clone();
    }

    private static void Validate(float[] centroids, int count, int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if ((long)count * dimension != centroids.Length)
        {
            throw new ArgumentException(
                $"Expected {(long)count * dimension} values ({count} centroids x {dimension}), got {centroids.Length}.", nameof(centroids));
        }

        foreach (float v in centroids)
        {
            if (!float.IsFinite(v))
            {
                throw new ArgumentException("Centroid values must be finite.", nameof(centroids));
            }
        }
    }
}
