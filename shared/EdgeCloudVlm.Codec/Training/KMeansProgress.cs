namespace EdgeCloudVlm.Codec.Training;

/// <summary>One progress report of <see cref="KMeansTrainer.Train"/>.</summary>
/// <param name="Iteration">0 after seeding, then 1.. after each iteration.</param>
/// <param name="MaxIterations">The configured upper bound.</param>
/// <param name="Distortion">Mean squared error per vector. Full-batch training: exact on the full data. Mini-batch
/// training: on the seeding subsample after seeding, then the pass's running estimate over its mini-batches.</param>
/// <param name="Phase"><see cref="KMeansPhases.Seeding"/>, <see cref="KMeansPhases.Lloyd"/> or
/// <see cref="KMeansPhases.MiniBatch"/>.</param>
public readonly record struct KMeansProgress(int Iteration, int MaxIterations, double Distortion, string Phase);

/// <summary>Values of <see cref="KMeansProgress.Phase"/>.</summary>
public static class KMeansPhases
{
    /// <summary>k-means++ seeding finished; the distortion is that of the seeds.</summary>
    public const string Seeding = "seeding";

    /// <summary>A full-batch Lloyd iteration finished.</summary>
    public const string Lloyd = "lloyd";

    /// <summary>A mini-batch pass over the data finished.</summary>
    public const string MiniBatch = "mini-batch";
}
