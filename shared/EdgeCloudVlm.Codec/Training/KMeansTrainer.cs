using System.Numerics.Tensors;

namespace EdgeCloudVlm.Codec.Training;

/// <summary>k-means training of VQ codebooks: greedy k-means++ seeding, then full-batch Lloyd or mini-batch updates.</summary>
public static class KMeansTrainer
{
    /// <summary>
    /// Clusters <paramref name="data"/> (count x dimension, row-major) into <see cref="KMeansOptions.ClusterCount"/> centroids.
    /// </summary>
    /// <remarks>
    /// Deterministic for a given seed and data regardless of <see cref="KMeansOptions.MaxDegreeOfParallelism"/>: chunking is
    /// fixed, reductions run in a fixed order with double accumulators. A cluster left empty is moved onto the point farthest
    /// from its centroid (farthest first, distances lowered after each pick), so duplicated points never yield two identical
    /// centroids while distinct points remain; if the data has fewer distinct points than clusters, the surplus centroids
    /// duplicate others (and stay empty). Progress is reported once after seeding and once per iteration, on the calling thread.
    /// </remarks>
    /// <param name="data">count x dimension finite values, row-major; count at least 1.</param>
    /// <param name="dimension">Length of each vector.</param>
    /// <param name="options">Training settings.</param>
    /// <param name="progress">Receives one report per iteration.</param>
    /// <param name="cancellationToken">Checked between steps.</param>
    /// <exception cref="OperationCanceledException">Cancellation was requested.</exception>
    /// <exception cref="ArgumentException">The data is empty, not a multiple of the dimension, or not finite.</exception>
    public static KMeansResult Train(
        ReadOnlySpan<float> data,
        int dimension,
        KMeansOptions options,
        IProgress<KMeansProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        TrainCore(data, dimension, options, default, progress, cancellationToken);

    /// <summary>Runs <see cref="Train"/> from the given centroids instead of k-means++ seeds (tests use it to force empty clusters).</summary>
    internal static KMeansResult TrainFrom(
        ReadOnlySpan<float> data,
        int dimension,
        KMeansOptions options,
        ReadOnlySpan<float> initialCentroids,
        IProgress<KMeansProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (initialCentroids.Length != (long)options.ClusterCount * dimension)
        {
            throw new ArgumentException("initialCentroids must hold ClusterCount x dimension values.", nameof(initialCentroids));
        }

        return TrainCore(data, dimension, options, initialCentroids, progress, cancellationToken);
    }

    private static unsafe KMeansResult TrainCore(
        ReadOnlySpan<float> data,
        int dimension,
        KMeansOptions options,
        ReadOnlySpan<float> initialCentroids,
        IProgress<KMeansProgress>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if (data.IsEmpty || data.Length % dimension != 0)
        {
            throw new ArgumentException(
                $"data must hold a positive multiple of the dimension {dimension} values, got {data.Length}.", nameof(data));
        }

        if ((long)options.ClusterCount * dimension > Array.MaxLength)
        {
            throw new ArgumentException("ClusterCount x dimension is too large for one centroid table.", nameof(options));
        }

        if (!TensorPrimitives.IsFiniteAll(data))
        {
            throw new ArgumentException("data contains NaN or infinite values.", nameof(data));
        }

        cancellationToken.ThrowIfCancellationRequested();
        int n = data.Length / dimension;
        var random = new Random(options.Seed);
        fixed (float* pinned = data)
        {
            var context = new KMeansContext(pinned, n, dimension, options.ClusterCount, options.MaxDegreeOfParallelism, cancellationToken);
            double seedDistortion = double.NaN;
            if (initialCentroids.IsEmpty)
            {
                seedDistortion = KMeansSeeding.Seed(context, random, options.KMeansPlusPlusSampleSize);
            }
            else
            {
                initialCentroids.CopyTo(context.Centroids);
                context.RefreshNorms();
            }

            var indices = new int[n];
            var distances = new float[n];
            int iterations;
            double distortion;
            if (options.EffectiveMiniBatchSize(n) is { } batchSize)
            {
                iterations = KMeansMiniBatch.Run(context, options, batchSize, random, seedDistortion, progress);
                cancellationToken.ThrowIfCancellationRequested();
                distortion = context.AssignAll(indices, distances);
            }
            else
            {
                (iterations, distortion) = KMeansLloyd.Run(context, options, indices, distances, progress);
            }

            var sizes = new long[options.ClusterCount];
            foreach (int index in indices)
            {
                sizes[index]++;
            }

            return new KMeansResult(context.Snapshot(), iterations, distortion, sizes);
        }
    }
}
