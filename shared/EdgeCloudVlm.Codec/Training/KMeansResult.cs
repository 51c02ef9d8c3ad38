using EdgeCloudVlm.Codec.Quantization;

namespace EdgeCloudVlm.Codec.Training;

/// <summary>Outcome of <see cref="KMeansTrainer.Train"/>.</summary>
/// <param name="Centroids">The trained centroids.</param>
/// <param name="Iterations">Iterations run (Lloyd steps or mini-batch passes).</param>
/// <param name="Distortion">Mean squared error per vector of the full data set against <paramref name="Centroids"/>.</param>
/// <param name="ClusterSizes">Points of the full data set nearest to each centroid.</param>
public sealed record KMeansResult(CentroidSet Centroids, int Iterations, double Distortion, long[] ClusterSizes);
