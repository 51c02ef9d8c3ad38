namespace EdgeCloudVlm.Codec.Tests.Training;

/// <summary>Deterministic synthetic data for the training tests.</summary>
internal static class TrainingTestData
{
    public static double NextGaussian(Random random)
    {
        double u = 1.0 - random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * random.NextDouble());
    }

    /// <summary>
    /// <paramref name="clusters"/> isotropic Gaussian blobs (standard deviation <paramref name="spread"/>) around centres drawn
    /// uniformly in [-10, 10]^dimension, points interleaved so no blob is contiguous.
    /// </summary>
    public static (float[] Data, float[] Centers, int[] Labels) Blobs(int clusters, int perCluster, int dimension, double spread, int seed)
    {
        var random = new Random(seed);
        var centers = new float[clusters * dimension];
        for (int i = 0; i < centers.Length; i++)
        {
            centers[i] = (float)((random.NextDouble() * 20) - 10);
        }

        int n = clusters * perCluster;
        var data = new float[n * dimension];
        var labels = new int[n];
        for (int p = 0; p < n; p++)
        {
            int c = p % clusters;
            labels[p] = c;
            for (int j = 0; j < dimension; j++)
            {
                data[(p * dimension) + j] = centers[(c * dimension) + j] + (float)(spread * NextGaussian(random));
            }
        }

        return (data, centers, labels);
    }

    public static double SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double diff = (double)a[i] - b[i];
            sum += diff * diff;
        }

        return sum;
    }

    /// <summary>Collects reports synchronously (Progress&lt;T&gt; would post them to the thread pool).</summary>
    public sealed class ProgressLog : IProgress<Codec.Training.KMeansProgress>
    {
        private readonly Action<Codec.Training.KMeansProgress>? _onReport;

        public ProgressLog(Action<Codec.Training.KMeansProgress>? onReport = null) => _onReport = onReport;

        public List<Codec.Training.KMeansProgress> Reports { get; } = [];

        public void Report(Codec.Training.KMeansProgress value)
        {
            Reports.Add(value);
            _onReport?.Invoke(value);
        }
    }
}
