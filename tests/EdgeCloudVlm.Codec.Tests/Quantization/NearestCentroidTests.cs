using CsCheck;
using EdgeCloudVlm.Codec.Quantization;

namespace EdgeCloudVlm.Codec.Tests.Quantization;

public sealed class NearestCentroidTests
{
    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int d in new[] { 1, 3, 8, 17, 64, 256, 1024 })
        {
            foreach (int k in new[] { 1, 2, 5, 256, 1000 })
            {
                data.Add(d, k, 1);
                data.Add(d, k, 2);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Assign_RandomData_MatchesNaiveAndReturnsTrueDistances(int dimension, int clusterCount, int parallelism)
    {
        // 131 vectors: not a multiple of the 4-vector tile or the 64-vector chunk, so every tail path runs.
        const int count = 131;
        var random = new Random((dimension * 7919) + clusterCount);
        float[] vectors = Gaussian(random, count * dimension);
        var centroids = new CentroidSet(Gaussian(random, clusterCount * dimension), clusterCount, dimension);
        var indices = new int[count];
        var distances = new float[count];

        NearestCentroid.Assign(vectors, centroids, indices, distances, parallelism);

        AssertMatchesNaive(vectors, centroids, indices);
        AssertTrueDistances(vectors, centroids, indices, distances);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public unsafe void AssignCore_EveryWidth_MatchesNaive(int widthValue)
    {
        // SimdWidth is internal, so the theory passes its numeric value.
        var width = (SimdWidth)widthValue;
        if (!SimdSupport.IsSupported(width))
        {
            return;
        }

        foreach (int dimension in new[] { 1, 7, 16, 33, 200 })
        {
            const int count = 77;
            const int clusterCount = 37; // not a multiple of any lane count: the last block is padded
            var random = new Random(dimension);
            float[] vectors = Gaussian(random, count * dimension);
            var centroids = new CentroidSet(Gaussian(random, clusterCount * dimension), clusterCount, dimension);
            var indices = new int[count];
            var distances = new float[count];
            int lanes = NearestCentroid.LaneCount(width);
            var layout = new float[NearestCentroid.LaneLayoutLength(clusterCount, dimension, lanes)];
            fixed (float* x = vectors)
            fixed (float* c = centroids.Values)
            fixed (float* norms = centroids.SquaredNorms)
            fixed (float* l = layout)
            fixed (int* idx = indices)
            fixed (float* dist = distances)
            {
                NearestCentroid.BuildLaneLayout(c, norms, clusterCount, dimension, lanes, l);
                NearestCentroid.AssignCore(x, count, c, l, clusterCount, dimension, idx, dist, 1, width);
            }

            AssertMatchesNaive(vectors, centroids, indices);
            AssertTrueDistances(vectors, centroids, indices, distances);
        }
    }

    [Fact]
    public void Assign_RandomShapes_MatchesNaive()
    {
        Gen.Select(Gen.Int[1, 40], Gen.Int[1, 60], Gen.Int[0, 90], Gen.Int, (d, k, n, seed) => (d, k, n, seed))
            .Sample(
                (d, k, n, seed) =>
                {
                    var random = new Random(seed);
                    float[] vectors = Gaussian(random, n * d);
                    var centroids = new CentroidSet(Gaussian(random, k * d), k, d);
                    var indices = new int[n];
                    NearestCentroid.Assign(vectors, centroids, indices, default, 2);
                    AssertMatchesNaive(vectors, centroids, indices);
                },
                iter: 200);
    }

    [Fact]
    public void Assign_LargeWork_ParallelIsBitIdenticalToSequential()
    {
        const int count = 2000, dimension = 32, clusterCount = 300;
        Assert.True((long)count * dimension * clusterCount >= NearestCentroid.ParallelWorkThreshold);
        var random = new Random(5);
        float[] vectors = Gaussian(random, count * dimension);
        var centroids = new CentroidSet(Gaussian(random, clusterCount * dimension), clusterCount, dimension);
        var sequential = new int[count];
        var parallel = new int[count];
        var sequentialDistances = new float[count];
        var parallelDistances = new float[count];

        NearestCentroid.Assign(vectors, centroids, sequential, sequentialDistances, 1);
        NearestCentroid.Assign(vectors, centroids, parallel, parallelDistances, 2);

        Assert.Equal(sequential, parallel);
        Assert.Equal(sequentialDistances, parallelDistances);
        AssertMatchesNaive(vectors, centroids, parallel);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Assign_DuplicateCentroids_PicksLowestIndex(int parallelism)
    {
        const int dimension = 24;
        var random = new Random(11);
        float[] distinct = Gaussian(random, 3 * dimension);
        // Rows 0,1,2 distinct; 3 duplicates 1; 4 duplicates 2; 5 duplicates 0.
        int[] source = [0, 1, 2, 1, 2, 0];
        var table = new float[source.Length * dimension];
        for (int r = 0; r < source.Length; r++)
        {
            Array.Copy(distinct, source[r] * dimension, table, r * dimension, dimension);
        }

        var centroids = new CentroidSet(table, source.Length, dimension);
        const int count = 300;
        var vectors = new float[count * dimension];
        for (int v = 0; v < count; v++)
        {
            for (int j = 0; j < dimension; j++)
            {
                vectors[(v * dimension) + j] = distinct[((v % 3) * dimension) + j] + (0.01f * (float)random.NextDouble());
            }
        }

        var indices = new int[count];
        NearestCentroid.Assign(vectors, centroids, indices, default, parallelism);

        for (int v = 0; v < count; v++)
        {
            Assert.Equal(v % 3, indices[v]);
        }
    }

    [Theory]
    [InlineData(5)]
    [InlineData(70)]
    public void Assign_DuplicatesInDifferentLanesAndBlocks_PicksLowestIndex(int dimension)
    {
        // With 8 or 16 lanes, 5 and 18 sit in different lanes of different blocks (18's lane comes first), and 2 and 34
        // share a lane in different blocks: both kinds of tie must resolve to the lower index.
        const int clusterCount = 40;
        var random = new Random(3);
        float[] table = Gaussian(random, clusterCount * dimension);
        Array.Copy(table, 5 * dimension, table, 18 * dimension, dimension);
        Array.Copy(table, 2 * dimension, table, 34 * dimension, dimension);
        var centroids = new CentroidSet(table, clusterCount, dimension);
        var vectors = new float[4 * dimension];
        Array.Copy(table, 18 * dimension, vectors, 0, dimension);
        Array.Copy(table, 5 * dimension, vectors, dimension, dimension);
        Array.Copy(table, 34 * dimension, vectors, 2 * dimension, dimension);
        Array.Copy(table, 2 * dimension, vectors, 3 * dimension, dimension);
        var indices = new int[4];

        NearestCentroid.Assign(vectors, centroids, indices);

        Assert.Equal([5, 5, 2, 2], indices);
    }

    [Fact]
    public void Assign_EquidistantCentroids_PicksLowestIndex()
    {
        var centroids = new CentroidSet([1f, 0f, -1f, 0f, 0f, 1f], 3, 2);
        var indices = new int[2];

        NearestCentroid.Assign([0f, 0f, 0f, -5f], centroids, indices);

        // (0,0) is at distance 1 from all three; (0,-5) is at distance 26 from both (1,0) and (-1,0).
        Assert.Equal(0, indices[0]);
        Assert.Equal(0, indices[1]);
    }

    [Fact]
    public void Assign_EmptyInput_DoesNothing()
    {
        var centroids = new CentroidSet([1f, 2f], 1, 2);
        NearestCentroid.Assign(ReadOnlySpan<float>.Empty, centroids, Span<int>.Empty);
        NearestCentroid.AssignNaive(ReadOnlySpan<float>.Empty, centroids, Span<int>.Empty);
    }

    [Fact]
    public void Assign_BadShapes_Throw()
    {
        var centroids = new CentroidSet(new float[8], 2, 4);
        Assert.Throws<ArgumentException>(() => NearestCentroid.Assign(new float[6], centroids, new int[2]));
        Assert.Throws<ArgumentException>(() => NearestCentroid.Assign(new float[8], centroids, new int[1]));
        Assert.Throws<ArgumentException>(() => NearestCentroid.Assign(new float[8], centroids, new int[2], new float[1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => NearestCentroid.Assign(new float[8], centroids, new int[2], default, 0));
        Assert.Throws<ArgumentException>(() => NearestCentroid.AssignNaive(new float[7], centroids, new int[2]));
    }

    [Fact]
    public void AssignNaive_KnownPoints_FindsNearest()
    {
        var centroids = new CentroidSet([0f, 0f, 10f, 10f, -3f, 4f], 3, 2);
        var indices = new int[3];

        NearestCentroid.AssignNaive([9f, 8f, -2f, 5f, 0.5f, -0.5f], centroids, indices);

        Assert.Equal([1, 2, 0], indices);
    }

    internal static float[] Gaussian(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            double u = 1.0 - random.NextDouble();
            values[i] = (float)(Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * random.NextDouble()));
        }

        return values;
    }

    /// <summary>
    /// Indices must equal the naive ones wherever the best centroid is clearly best; where the two nearest are within float
    /// rounding of each other either is right, and such near-ties must stay rare.
    /// </summary>
    private static void AssertMatchesNaive(float[] vectors, CentroidSet centroids, int[] indices)
    {
        int d = centroids.Dimension;
        int n = vectors.Length / d;
        var naive = new int[n];
        NearestCentroid.AssignNaive(vectors, centroids, naive);
        int nearTies = 0;
        for (int v = 0; v < n; v++)
        {
            if (naive[v] == indices[v])
            {
                continue;
            }

            double chosen = ExactDistance(vectors.AsSpan(v * d, d), centroids.Row(indices[v]));
            double best = ExactDistance(vectors.AsSpan(v * d, d), centroids.Row(naive[v]));
            double scale = ExactDistance(vectors.AsSpan(v * d, d), new float[d]) + centroids.SquaredNorms[naive[v]] + 1e-30;
            Assert.True(Math.Abs(chosen - best) <= 1e-5 * scale, $"vector {v}: index {indices[v]} ({chosen}) vs naive {naive[v]} ({best})");
            nearTies++;
        }

        Assert.True(nearTies <= Math.Max(1, n / 50), $"{nearTies} near-ties out of {n}");
    }

    private static void AssertTrueDistances(float[] vectors, CentroidSet centroids, int[] indices, float[] distances)
    {
        int d = centroids.Dimension;
        for (int v = 0; v < indices.Length; v++)
        {
            double expected = ExactDistance(vectors.AsSpan(v * d, d), centroids.Row(indices[v]));
            Assert.True(distances[v] >= 0);
            Assert.True(Math.Abs(distances[v] - expected) <= (1e-3 * expected) + 1e-6, $"vector {v}: {distances[v]} vs {expected}");
        }
    }

    private static double ExactDistance(ReadOnlySpan<float> x, ReadOnlySpan<float> c)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double diff = (double)x[i] - c[i];
            sum += diff * diff;
        }

        return sum;
    }
}
