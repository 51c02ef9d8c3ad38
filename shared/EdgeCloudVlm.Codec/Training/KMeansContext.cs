using EdgeCloudVlm.Codec.Quantization;

namespace EdgeCloudVlm.Codec.Training;

/// <summary>
/// State shared by the phases of one k-means run: the pinned data, the working centroids and their norms, and the
/// deterministic parallel primitives (element-wise or per-chunk work, reductions combined in a fixed order).
/// </summary>
internal sealed unsafe class KMeansContext
{
    /// <summary>Elements (points x dimension) below which helper loops stay on the calling thread.</summary>
    private const long ParallelElements = 1L << 18;
    private const int RowChunk = 2048;

    private readonly float* _data;
    private readonly float[] _laneLayout;

    /// <summary>Wraps count x dimension values that the caller keeps pinned for the lifetime of this object.</summary>
    public KMeansContext(float* data, int count, int dimension, int clusterCount, int maxDegreeOfParallelism, CancellationToken cancellationToken)
    {
        _data = data;
        Count = count;
        Dimension = dimension;
        ClusterCount = clusterCount;
        MaxDegreeOfParallelism = maxDegreeOfParallelism;
        CancellationToken = cancellationToken;
        DistanceWidth = SimdSupport.ForDimension(dimension);
        _laneLayout = new float[NearestCentroid.LaneLayoutLength(clusterCount, dimension, NearestCentroid.LaneCount(AssignWidth))];
        Centroids = new float[(long)clusterCount * dimension];
        Norms = new float[clusterCount];
    }

    public int Count { get; }

    public int Dimension { get; }

    public int ClusterCount { get; }

    public int MaxDegreeOfParallelism { get; }

    public CancellationToken CancellationToken { get; }

    /// <summary>Width of the assignment kernel.</summary>
    public SimdWidth AssignWidth { get; } = SimdSupport.Widest;

    /// <summary>Width of single squared-distance computations.</summary>
    public SimdWidth DistanceWidth { get; }

    /// <summary>Working centroids, ClusterCount x Dimension.</summary>
    public float[] Centroids { get; }

    /// <summary>||c||^2 of each working centroid; refresh with <see cref="RefreshNorms"/> after changing centroids.</summary>
    public float[] Norms { get; }

    /// <summary>Thread count for a helper loop touching <paramref name="elements"/> values.</summary>
    public int DegreeFor(long elements) => elements >= ParallelElements ? MaxDegreeOfParallelism : 1;

    public float* Row(int index) => _data + ((nint)index * Dimension);

    public void RefreshNorms() => CentroidSet.ComputeSquaredNorms(Centroids, ClusterCount, Dimension, Norms);

    public void RefreshNorm(int cluster) =>
        Norms[cluster] = CentroidSet.SquaredNorm(Centroids.AsSpan(cluster * Dimension, Dimension));

    public void SetCentroid(int cluster, float* source) =>
        new ReadOnlySpan<float>(source, Dimension).CopyTo(Centroids.AsSpan(cluster * Dimension, Dimension));

    /// <summary>Assigns every point to its nearest working centroid; returns the mean squared distance.</summary>
    public double AssignAll(int[] indices, float[] distances)
    {
        Assign(_data, Count, indices, distances);
        return SumInOrder(distances, Count) / Count;
    }

    /// <summary>Assigns <paramref name="count"/> rows of <paramref name="rows"/> (not necessarily the data).</summary>
    public void Assign(float* rows, int count, int[] indices, float[] distances)
    {
        fixed (float* c = Centroids)
        fixed (float* norms = Norms)
        fixed (float* layout = _laneLayout)
        fixed (int* idx = indices)
        fixed (float* dist = distances)
        {
            // The layout is rebuilt from the current centroids: O(K x D), small next to the O(n x K x D) search.
            NearestCentroid.BuildLaneLayout(c, norms, ClusterCount, Dimension, NearestCentroid.LaneCount(AssignWidth), layout);
            NearestCentroid.AssignCore(rows, count, c, layout, ClusterCount, Dimension, idx, dist, MaxDegreeOfParallelism, AssignWidth);
        }
    }

    /// <summary>Double sum of the first <paramref name="count"/> values in index order.</summary>
    public static double SumInOrder(float[] values, int count)
    {
        double sum = 0;
        for (int i = 0; i < count; i++)
        {
            sum += values[i];
        }

        return sum;
    }

    /// <summary>Index of the largest of the first <paramref name="count"/> values (lowest index on ties).</summary>
    public int ArgMax(float[] values, int count)
    {
        int chunks = ParallelChunks.ChunkCount(count, RowChunk);
        var bestValue = new float[chunks];
        var bestIndex = new int[chunks];
        ParallelChunks.For(count, RowChunk, DegreeFor(count), (start, end) =>
        {
            int b = start;
            for (int i = start + 1; i < end; i++)
            {
                if (values[i] > values[b])
                {
                    b = i;
                }
            }

            bestValue[start / RowChunk] = values[b];
            bestIndex[start / RowChunk] = b;
        });

        int best = 0;
        for (int c = 1; c < chunks; c++)
        {
            if (bestValue[c] > bestValue[best])
            {
                best = c;
            }
        }

        return bestIndex[best];
    }

    /// <summary>distances[i] = min(distances[i], ||rows_i - center||^2) for the first count rows of <paramref name="rows"/>.</summary>
    public void LowerDistances(float* rows, int count, float[] distances, float* center)
    {
        nint rowsAddress = (nint)rows;
        nint centerAddress = (nint)center;
        int d = Dimension;
        SimdWidth width = DistanceWidth;
        ParallelChunks.For(count, RowChunk, DegreeFor((long)count * d), (start, end) =>
        {
            float* r = (float*)rowsAddress;
            float* c = (float*)centerAddress;
            for (int i = start; i < end; i++)
            {
                float dist = NearestCentroidKernels.SquaredDistance(width, r + ((nint)i * d), c, d);
                if (dist < distances[i])
                {
                    distances[i] = dist;
                }
            }
        });
    }

    /// <summary>
    /// Moves each empty cluster onto the point farthest from its centroid, farthest first, lowering every point's distance
    /// to the new centroid before the next pick so that two empty clusters never land on the same spot (duplicates of a
    /// picked point are then at distance 0). Stops when no point is left at a positive distance: the data has fewer distinct
    /// points than clusters, and the remaining empty clusters keep their (duplicate) centroids.
    /// </summary>
    /// <returns>Number of clusters moved.</returns>
    public int ReseedEmpty(ReadOnlySpan<int> emptyClusters, float* rows, int count, float[] distances)
    {
        int moved = 0;
        foreach (int cluster in emptyClusters)
        {
            int farthest = ArgMax(distances, count);
            if (!(distances[farthest] > 0f))
            {
                break;
            }

            float* point = rows + ((nint)farthest * Dimension);
            SetCentroid(cluster, point);
            RefreshNorm(cluster);
            LowerDistances(rows, count, distances, point);
            moved++;
        }

        return moved;
    }

    /// <summary>The working centroids as an immutable table (copied).</summary>
    public CentroidSet Snapshot() => CentroidSet.Wrap((float[])Centroids.Clone(), ClusterCount, Dimension);
}
