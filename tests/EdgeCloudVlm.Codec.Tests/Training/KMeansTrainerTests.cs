using EdgeCloudVlm.Codec.Quantization;
using EdgeCloudVlm.Codec.Training;

namespace EdgeCloudVlm.Codec.Tests.Training;

public sealed class KMeansTrainerTests
{
    private const int Dimension = 16;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Train_PlantedBlobs_RecoversCentersWithFullPurity(int seed)
    {
        var (data, centers, labels) = TrainingTestData.Blobs(8, 300, Dimension, 0.3, seed: 42);

        KMeansResult result = KMeansTrainer.Train(data, Dimension, new KMeansOptions { ClusterCount = 8, Seed = seed });

        AssertRecovers(result, data, centers, labels, maxCenterError: 0.2);
        // Within-blob squared error is about Dimension * spread^2.
        Assert.InRange(result.Distortion, 0.5 * Dimension * 0.09, 1.5 * Dimension * 0.09);
    }

    [Fact]
    public void Train_MiniBatch_RecoversPlantedBlobs()
    {
        var (data, centers, labels) = TrainingTestData.Blobs(8, 600, Dimension, 0.3, seed: 7);
        var log = new TrainingTestData.ProgressLog();

        KMeansResult result = KMeansTrainer.Train(
            data, Dimension, new KMeansOptions { ClusterCount = 8, MiniBatchSize = 256, MaxIterations = 10 }, log);

        Assert.Contains(log.Reports, r => r.Phase == KMeansPhases.MiniBatch);
        Assert.DoesNotContain(log.Reports, r => r.Phase == KMeansPhases.Lloyd);
        AssertRecovers(result, data, centers, labels, maxCenterError: 0.3);
    }

    [Fact]
    public void Train_ManyPointsWithoutBatchSize_SwitchesToMiniBatch()
    {
        var (data, centers, labels) = TrainingTestData.Blobs(4, 1500, Dimension, 0.3, seed: 8);
        var log = new TrainingTestData.ProgressLog();

        KMeansResult result = KMeansTrainer.Train(
            data, Dimension, new KMeansOptions { ClusterCount = 4, MiniBatchThreshold = 5000, MaxIterations = 5 }, log);

        Assert.All(log.Reports.Skip(1), r => Assert.Equal(KMeansPhases.MiniBatch, r.Phase));
        AssertRecovers(result, data, centers, labels, maxCenterError: 0.3);
    }

    [Theory]
    [InlineData(null, 10, 100, null)]
    [InlineData(null, 10, 200_001, 4096)]
    [InlineData(null, 1000, 200_001, 8000)]
    [InlineData(64, 10, 100, 64)]
    [InlineData(100, 10, 100, null)]
    public void EffectiveMiniBatchSize_FollowsOptions(int? batch, int clusters, int points, int? expected)
    {
        var options = new KMeansOptions { ClusterCount = clusters, MiniBatchSize = batch };
        Assert.Equal(expected, options.EffectiveMiniBatchSize(points));
    }

    [Fact]
    public void Train_SameSeed_BitIdenticalAcrossParallelism()
    {
        // Large enough that assignment, seeding and the per-dimension-slice update (40 dims = 3 slices) all run in parallel.
        const int d = 40;
        var (data, _, _) = TrainingTestData.Blobs(32, 400, d, 2.0, seed: 3);
        var sequential = KMeansTrainer.Train(data, d, new KMeansOptions { ClusterCount = 40, MaxDegreeOfParallelism = 1, Seed = 9 });
        var parallel = KMeansTrainer.Train(data, d, new KMeansOptions { ClusterCount = 40, MaxDegreeOfParallelism = 2, Seed = 9 });
        var again = KMeansTrainer.Train(data, d, new KMeansOptions { ClusterCount = 40, MaxDegreeOfParallelism = 2, Seed = 9 });

        AssertIdentical(sequential, parallel);
        AssertIdentical(parallel, again);
    }

    [Fact]
    public void Train_MiniBatchSameSeed_BitIdenticalAcrossParallelism()
    {
        var (data, _, _) = TrainingTestData.Blobs(16, 1000, Dimension, 2.0, seed: 4);
        var options = new KMeansOptions { ClusterCount = 24, MiniBatchSize = 4096, MaxIterations = 4, Seed = 5 };

        var sequential = KMeansTrainer.Train(data, Dimension, options with { MaxDegreeOfParallelism = 1 });
        var parallel = KMeansTrainer.Train(data, Dimension, options with { MaxDegreeOfParallelism = 2 });

        AssertIdentical(sequential, parallel);
    }

    [Fact]
    public void Train_DifferentSeeds_BothConverge()
    {
        var (data, _, _) = TrainingTestData.Blobs(6, 200, Dimension, 1.0, seed: 5);

        var first = KMeansTrainer.Train(data, Dimension, new KMeansOptions { ClusterCount = 12, Seed = 1 });
        var second = KMeansTrainer.Train(data, Dimension, new KMeansOptions { ClusterCount = 12, Seed = 2 });

        Assert.NotEqual(first.Centroids.Values.ToArray(), second.Centroids.Values.ToArray());
        // 12 clusters over 6 blobs of variance 16 per point: both must be well below one-cluster-per-blob error.
        Assert.True(first.Distortion < Dimension * 1.0, $"seed 1 distortion {first.Distortion}");
        Assert.True(second.Distortion < Dimension * 1.0, $"seed 2 distortion {second.Distortion}");
        Assert.True(first.Iterations < 25, $"seed 1 ran {first.Iterations} iterations");
        Assert.True(second.Iterations < 25, $"seed 2 ran {second.Iterations} iterations");
    }

    [Fact]
    public void Train_DuplicatedPointsExactlyKDistinct_CentroidsAreTheDistinctPoints()
    {
        var (distinct, _, _) = TrainingTestData.Blobs(10, 1, 4, 0, seed: 6);
        float[] data = Repeat(distinct, 4, 100);

        KMeansResult result = KMeansTrainer.Train(data, 4, new KMeansOptions { ClusterCount = 10, Seed = 3 });

        Assert.Equal(0, result.Distortion);
        Assert.All(result.ClusterSizes, size => Assert.Equal(100, size));
        AssertEachPointIsACentroid(distinct, 4, result.Centroids);
    }

    [Fact]
    public void Train_MoreClustersThanDistinctPoints_FiniteAndCoversEveryPoint()
    {
        var (distinct, _, _) = TrainingTestData.Blobs(5, 1, 3, 0, seed: 12);
        float[] data = Repeat(distinct, 3, 50);

        KMeansResult result = KMeansTrainer.Train(data, 3, new KMeansOptions { ClusterCount = 12 });

        Assert.Equal(12, result.Centroids.Count);
        Assert.All(result.Centroids.Values.ToArray(), v => Assert.True(float.IsFinite(v)));
        Assert.Equal(0, result.Distortion);
        Assert.Equal(250, result.ClusterSizes.Sum());
        AssertEachPointIsACentroid(distinct, 3, result.Centroids);
    }

    [Fact]
    public void Train_FewerPointsThanClusters_Works()
    {
        KMeansResult result = KMeansTrainer.Train([1f, 2f, 3f], 1, new KMeansOptions { ClusterCount = 8 });

        Assert.Equal(8, result.Centroids.Count);
        Assert.Equal(0, result.Distortion);
        AssertEachPointIsACentroid([1f, 2f, 3f], 1, result.Centroids);
    }

    [Fact]
    public void TrainFrom_EmptyClusters_AreMovedOntoDistinctFarPoints()
    {
        var (data, centers, labels) = TrainingTestData.Blobs(3, 100, 2, 0.2, seed: 13);
        // Centroid 0 sits at the centre of mass and takes every point; 1 is far away and 2 duplicates 0, so both start empty.
        var mean = new float[2];
        for (int p = 0; p < 300; p++)
        {
            mean[0] += data[2 * p] / 300;
            mean[1] += data[(2 * p) + 1] / 300;
        }

        float[] initial = [mean[0], mean[1], 1000f, 1000f, mean[0], mean[1]];
        var log = new TrainingTestData.ProgressLog();

        KMeansResult result = KMeansTrainer.TrainFrom(data, 2, new KMeansOptions { ClusterCount = 3 }, initial, log);

        Assert.True(result.Distortion < log.Reports[0].Distortion / 10, $"{result.Distortion} vs start {log.Reports[0].Distortion}");
        Assert.All(result.ClusterSizes, size => Assert.True(size > 0));
        AssertRecovers(result, data, centers, labels, maxCenterError: 0.2);
    }

    [Fact]
    public void TrainFrom_OneIteration_EmptyClusterLeavesItsStartingPoint()
    {
        var (data, _, _) = TrainingTestData.Blobs(2, 50, 2, 0.2, seed: 14);
        float[] initial = [0f, 0f, 1000f, 1000f];

        KMeansResult result = KMeansTrainer.TrainFrom(data, 2, new KMeansOptions { ClusterCount = 2, MaxIterations = 1 }, initial);

        Assert.NotEqual(1000f, result.Centroids.Row(1)[0]);
        Assert.All(result.ClusterSizes, size => Assert.True(size > 0));
    }

    [Fact]
    public void Train_PreCancelled_Throws()
    {
        var (data, _, _) = TrainingTestData.Blobs(4, 50, 4, 0.5, seed: 1);
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(
            () => KMeansTrainer.Train(data, 4, new KMeansOptions { ClusterCount = 4 }, null, cancellation.Token));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(64)]
    public void Train_CancelledDuringTraining_Throws(int? batch)
    {
        var (data, _, _) = TrainingTestData.Blobs(4, 200, 4, 3, seed: 2);
        using var cancellation = new CancellationTokenSource();
        var log = new TrainingTestData.ProgressLog(_ => cancellation.Cancel());
        var options = new KMeansOptions { ClusterCount = 30, Tolerance = 0, MiniBatchSize = batch };

        Assert.ThrowsAny<OperationCanceledException>(() => KMeansTrainer.Train(data, 4, options, log, cancellation.Token));
        Assert.Single(log.Reports);
    }

    [Fact]
    public void Train_Progress_ReportsSeedingThenEveryIteration()
    {
        var (data, _, _) = TrainingTestData.Blobs(5, 100, 4, 2, seed: 21);
        var log = new TrainingTestData.ProgressLog();

        KMeansResult result = KMeansTrainer.Train(data, 4, new KMeansOptions { ClusterCount = 9, MaxIterations = 30 }, log);

        Assert.Equal(result.Iterations + 1, log.Reports.Count);
        Assert.Equal(KMeansPhases.Seeding, log.Reports[0].Phase);
        for (int i = 1; i < log.Reports.Count; i++)
        {
            Assert.Equal(i, log.Reports[i].Iteration);
            Assert.Equal(30, log.Reports[i].MaxIterations);
            Assert.Equal(KMeansPhases.Lloyd, log.Reports[i].Phase);
            Assert.True(log.Reports[i].Distortion <= log.Reports[i - 1].Distortion * (1 + 1e-6));
        }

        Assert.Equal(result.Distortion, log.Reports[^1].Distortion);
    }

    [Fact]
    public void Train_Result_MatchesAssignmentOfItsCentroids()
    {
        var (data, _, _) = TrainingTestData.Blobs(7, 150, 5, 1.5, seed: 22);

        KMeansResult result = KMeansTrainer.Train(data, 5, new KMeansOptions { ClusterCount = 10, MaxIterations = 3 });

        int n = data.Length / 5;
        var indices = new int[n];
        var distances = new float[n];
        NearestCentroid.Assign(data, result.Centroids, indices, distances);
        var sizes = new long[10];
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            sizes[indices[i]]++;
            sum += distances[i];
        }

        Assert.Equal(sizes, result.ClusterSizes);
        Assert.Equal(sum / n, result.Distortion, 1e-9);
        Assert.InRange(result.Iterations, 1, 3);
    }

    [Fact]
    public void Train_ZeroIterations_ReturnsSeeds()
    {
        var (data, _, _) = TrainingTestData.Blobs(3, 30, 2, 0.1, seed: 23);

        KMeansResult result = KMeansTrainer.Train(data, 2, new KMeansOptions { ClusterCount = 3, MaxIterations = 0 });

        Assert.Equal(0, result.Iterations);
        AssertCentroidsAreDataPoints(data, 2, result.Centroids);
    }

    [Fact]
    public void Train_InvalidArguments_Throw()
    {
        float[] data = [1f, 2f, 3f, 4f];
        Assert.Throws<ArgumentOutOfRangeException>(() => KMeansTrainer.Train(data, 2, new KMeansOptions { ClusterCount = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => KMeansTrainer.Train(data, 2, new KMeansOptions { ClusterCount = 65537 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => KMeansTrainer.Train(data, 2, new KMeansOptions { ClusterCount = 2, MaxDegreeOfParallelism = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => KMeansTrainer.Train(data, 2, new KMeansOptions { ClusterCount = 2, Tolerance = double.NaN }));
        Assert.Throws<ArgumentOutOfRangeException>(() => KMeansTrainer.Train(data, 2, new KMeansOptions { ClusterCount = 2, MiniBatchSize = 0 }));
        Assert.Throws<ArgumentException>(() => KMeansTrainer.Train(data, 3, new KMeansOptions { ClusterCount = 2 }));
        Assert.Throws<ArgumentException>(() => KMeansTrainer.Train([], 3, new KMeansOptions { ClusterCount = 2 }));
        Assert.Throws<ArgumentException>(() => KMeansTrainer.Train([1f, float.NaN], 1, new KMeansOptions { ClusterCount = 1 }));
        Assert.Throws<ArgumentNullException>(() => KMeansTrainer.Train(data, 2, null!));
    }

    private static void AssertRecovers(KMeansResult result, float[] data, float[] centers, int[] labels, double maxCenterError)
    {
        int d = result.Centroids.Dimension;
        int k = result.Centroids.Count;
        var match = new int[centers.Length / d];
        for (int t = 0; t < match.Length; t++)
        {
            int best = 0;
            for (int c = 1; c < k; c++)
            {
                if (TrainingTestData.SquaredDistance(centers.AsSpan(t * d, d), result.Centroids.Row(c))
                    < TrainingTestData.SquaredDistance(centers.AsSpan(t * d, d), result.Centroids.Row(best)))
                {
                    best = c;
                }
            }

            double error = Math.Sqrt(TrainingTestData.SquaredDistance(centers.AsSpan(t * d, d), result.Centroids.Row(best)));
            Assert.True(error <= maxCenterError, $"true centre {t} is {error} from the nearest centroid");
            match[t] = best;
        }

        Assert.Equal(match.Length, match.Distinct().Count());
        var indices = new int[labels.Length];
        NearestCentroid.Assign(data, result.Centroids, indices);
        for (int p = 0; p < labels.Length; p++)
        {
            Assert.Equal(match[labels[p]], indices[p]);
        }
    }

    private static void AssertIdentical(KMeansResult expected, KMeansResult actual)
    {
        Assert.Equal(expected.Iterations, actual.Iterations);
        Assert.Equal(expected.Distortion, actual.Distortion);
        Assert.Equal(expected.ClusterSizes, actual.ClusterSizes);
        Assert.True(expected.Centroids.Values.SequenceEqual(actual.Centroids.Values), "centroids differ");
    }

    private static float[] Repeat(float[] rows, int dimension, int times)
    {
        int count = rows.Length / dimension;
        var data = new float[rows.Length * times];
        for (int i = 0; i < count * times; i++)
        {
            Array.Copy(rows, (i % count) * dimension, data, i * dimension, dimension);
        }

        return data;
    }

    private static void AssertEachPointIsACentroid(float[] points, int dimension, CentroidSet centroids)
    {
        for (int p = 0; p < points.Length / dimension; p++)
        {
            bool found = false;
            for (int c = 0; c < centroids.Count && !found; c++)
            {
                found = centroids.Row(c).SequenceEqual(points.AsSpan(p * dimension, dimension));
            }

            Assert.True(found, $"point {p} is not a centroid");
        }
    }

    private static void AssertCentroidsAreDataPoints(float[] data, int dimension, CentroidSet centroids)
    {
        for (int c = 0; c < centroids.Count; c++)
        {
            bool found = false;
            for (int p = 0; p < data.Length / dimension && !found; p++)
            {
                found = centroids.Row(c).SequenceEqual(data.AsSpan(p * dimension, dimension));
            }

            Assert.True(found, $"centroid {c} is not a data point");
        }
    }
}
