using EdgeCloudVlm.Codec.Quantization;

namespace EdgeCloudVlm.Codec.Training;

/// <summary>Settings of <see cref="KMeansTrainer.Train"/>.</summary>
public sealed record KMeansOptions
{
    /// <summary>Number of clusters K, 1..65536.</summary>
    public required int ClusterCount { get; init; }

    /// <summary>
    /// Upper bound on iterations: Lloyd steps for full-batch training, passes over the data (epochs) for mini-batch training.
    /// 0 returns the seeded centroids.
    /// </summary>
    public int MaxIterations { get; init; } = 25;

    /// <summary>Seed of every random choice (subsample, seeding, mini-batch order); same seed and data give the same bits.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Training stops when the relative improvement of the distortion over one iteration falls below this.</summary>
    public double Tolerance { get; init; } = 1e-4;

    /// <summary>
    /// Mini-batch size. Null: full-batch Lloyd unless the data has more than <see cref="MiniBatchThreshold"/> points, then
    /// mini-batch with a batch of 8*ClusterCount (at least 4096). A batch at least as large as the data means full batch.
    /// </summary>
    public int? MiniBatchSize { get; init; }

    /// <summary>Point count above which mini-batch training is chosen when <see cref="MiniBatchSize"/> is null.</summary>
    public int MiniBatchThreshold { get; init; } = 200_000;

    /// <summary>Threads used for assignment and reductions; results do not depend on it.</summary>
    public int MaxDegreeOfParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// k-means++ seeding runs over a deterministic random subsample of at most this many points (raised to ClusterCount if
    /// smaller), trying 2 + ln K candidates per centre and keeping the one that lowers the potential most.
    /// </summary>
    public int KMeansPlusPlusSampleSize { get; init; } = 50_000;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ClusterCount, 1, nameof(ClusterCount));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ClusterCount, CentroidSet.MaxCount, nameof(ClusterCount));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxIterations, nameof(MaxIterations));
        if (!(Tolerance >= 0) || double.IsPositiveInfinity(Tolerance))
        {
            throw new ArgumentOutOfRangeException(nameof(Tolerance), Tolerance, "Tolerance must be a finite value >= 0.");
        }

        if (MiniBatchSize is { } batch)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1, nameof(MiniBatchSize));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(MiniBatchThreshold, nameof(MiniBatchThreshold));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDegreeOfParallelism, 1, nameof(MaxDegreeOfParallelism));
        ArgumentOutOfRangeException.ThrowIfLessThan(KMeansPlusPlusSampleSize, 1, nameof(KMeansPlusPlusSampleSize));
    }

    /// <summary>The mini-batch size to train with for <paramref name="pointCount"/> points, or null for full batch.</summary>
    internal int? EffectiveMiniBatchSize(int pointCount)
    {
        int? batch = MiniBatchSize;
        if (batch is null && pointCount > MiniBatchThreshold)
        {
            batch = Math.Max(4096, (int)Math.Min(int.MaxValue, 8L * ClusterCount));
        }

        return batch is { } b && b < pointCount ? b : null;
    }
}
