namespace EdgeCloudVlm.Codec.Quantization;

/// <summary>The pointer-level search behind <see cref="NearestCentroid.Assign"/>, also called by k-means.</summary>
public static partial class NearestCentroid
{
    /// <summary>Vectors per parallel work item; a multiple of the 4-vector tile so tiles never straddle chunks.</summary>
    internal const int ParallelChunk = 64;

    /// <summary>Multiply-adds below which threads cost more than they save.</summary>
    internal const long ParallelWorkThreshold = 1L << 20;

    /// <summary>
    /// Assigns vectors [0, n) of <paramref name="x"/> against a lane layout built by <see cref="BuildLaneLayout"/> for
    /// <paramref name="width"/>; <paramref name="distances"/> may be null. All pointers must stay pinned for the call.
    /// Each vector's result depends only on its own data, never on the chunking or the thread count.
    /// </summary>
    internal static unsafe void AssignCore(
        float* x, int n, float* centroids, float* layout, int k, int d, int* indices, float* distances, int maxDegreeOfParallelism, SimdWidth width)
    {
        if (maxDegreeOfParallelism > 1 && n > ParallelChunk && (long)n * k * d >= ParallelWorkThreshold)
        {
            var job = new AssignJob(x, n, centroids, layout, k, d, indices, distances, width);
            int chunks = (n + ParallelChunk - 1) / ParallelChunk;
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism }, job.Run);
        }
        else
        {
            AssignRange(x, 0, n, layout, centroids, k, d, indices, distances, width);
        }
    }

    /// <summary>Carries the pinned pointers into Parallel.For, which cannot capture spans or fixed locals.</summary>
    private sealed unsafe class AssignJob(
        float* x, int n, float* centroids, float* layout, int k, int d, int* indices, float* distances, SimdWidth width)
    {
        public void Run(int chunk)
        {
            int start = chunk * ParallelChunk;
            AssignRange(x, start, Math.Min(n, start + ParallelChunk), layout, centroids, k, d, indices, distances, width);
        }
    }
}
