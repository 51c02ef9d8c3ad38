namespace EdgeCloudVlm.Codec.Quantization;

/// <summary>Nearest-centroid (squared L2) search: the quantizer's hot path.</summary>
public static partial class NearestCentroid
{
    /// <summary>
    /// For each of <c>vectors.Length / centroids.Dimension</c> row-major vectors writes the index of the nearest centroid by
    /// squared L2 distance, found as argmin <c>||c||^2 - 2 x.c</c>, blocked and vectorized: tiles of four vectors by two blocks
    /// of SIMD-width centroids (Vector512 or Vector256 FMA when available, Vector&lt;float&gt; otherwise), centroid ranges sized
    /// for L2 and vector chunks for L1. Ties go to the lowest index. The centroid layout is built once and cached in
    /// the <see cref="CentroidSet"/>, so a sequential call allocates nothing.
    /// </summary>
    /// <param name="vectors">n x Dimension values, row-major.</param>
    /// <param name="centroids">The centroid table.</param>
    /// <param name="indices">Receives n indices (must hold at least n).</param>
    /// <param name="distances">Empty, or receives the true ||x - c||^2 of each vector to its chosen centroid (at least n).</param>
    /// <param name="maxDegreeOfParallelism">1 runs on the calling thread only; more splits the vectors over up to this many
    /// threads in fixed chunks when the work is large enough to pay. Results do not depend on it.</param>
    /// <exception cref="ArgumentException">Shapes do not match.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxDegreeOfParallelism"/> is less than 1.</exception>
    public static unsafe void Assign(
        ReadOnlySpan<float> vectors,
        CentroidSet centroids,
        Span<int> indices,
        Span<float> distances = default,
        int maxDegreeOfParallelism = 1)
    {
        ArgumentNullException.ThrowIfNull(centroids);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDegreeOfParallelism, 1);
        int n = VectorCount(vectors, centroids, indices);
        if (!distances.IsEmpty && distances.Length < n)
        {
            throw new ArgumentException($"distances holds {distances.Length} values, {n} are needed.", nameof(distances));
        }

        if (n == 0)
        {
            return;
        }

        fixed (float* x = vectors)
        fixed (float* c = centroids.Values)
        fixed (float* layout = centroids.LaneLayout)
        fixed (int* idx = indices)
        fixed (float* dist = distances)
        {
            AssignCore(
                x, n, c, layout, centroids.Count, centroids.Dimension, idx, distances.IsEmpty ? null : dist,
                maxDegreeOfParallelism, SimdSupport.Widest);
        }
    }

    /// <summary>
    /// The same result computed the plain way: for every vector and every centroid the full ||x - c||^2 with a scalar loop,
    /// keeping the first minimum. The benchmark's naive baseline and the tests' oracle.
    /// </summary>
    /// <param name="vectors">n x Dimension values, row-major.</param>
    /// <param name="centroids">The centroid table.</param>
    /// <param name="indices">Receives n indices (must hold at least n).</param>
    /// <exception cref="ArgumentException">Shapes do not match.</exception>
    public static void AssignNaive(ReadOnlySpan<float> vectors, CentroidSet centroids, Span<int> indices)
    {
        ArgumentNullException.ThrowIfNull(centroids);
        int n = VectorCount(vectors, centroids, indices);
        int d = centroids.Dimension;
        ReadOnlySpan<float> table = centroids.Values;
        for (int v = 0; v < n; v++)
        {
            ReadOnlySpan<float> x = vectors.Slice(v * d, d);
            float best = float.PositiveInfinity;
            int bestIndex = 0;
            for (int j = 0; j < centroids.Count; j++)
            {
                ReadOnlySpan<float> c = table.Slice(j * d, d);
                float sum = 0;
                for (int k = 0; k < d; k++)
                {
                    float diff = x[k] - c[k];
                    sum += diff * diff;
                }

                if (sum < best)
                {
                    best = sum;
                    bestIndex = j;
                }
            }

            indices[v] = bestIndex;
        }
    }

    private static int VectorCount(ReadOnlySpan<float> vectors, CentroidSet centroids, ReadOnlySpan<int> indices)
    {
        int d = centroids.Dimension;
        if (vectors.Length % d != 0)
        {
            throw new ArgumentException(
                $"vectors holds {vectors.Length} values, not a multiple of the dimension {d}.", nameof(vectors));
        }

        int n = vectors.Length / d;
        if (indices.Length < n)
        {
            throw new ArgumentException($"indices holds {indices.Length} values, {n} are needed.", nameof(indices));
        }

        return n;
    }
}
