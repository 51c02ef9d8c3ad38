using System.Numerics;
using System.Runtime.Intrinsics;

namespace EdgeCloudVlm.Codec.Quantization;

/// <summary>The pointer-level search behind <see cref="NearestCentroid.Assign"/>, also called by k-means.</summary>
public static partial class NearestCentroid
{
    /// <summary>Vectors per parallel work item; a multiple of the 4-vector tile so tiles never straddle chunks.</summary>
    internal const int ParallelChunk = 64;

    /// <summary>Multiply-adds below which threads cost more than they save.</summary>
    internal const long ParallelWorkThreshold = 1L << 20;

    private const int MaxVectorBlock = 64;
    private const int VectorBlockBytes = 64 * 1024;
    private const int CentroidBlockBytes = 256 * 1024;

    /// <summary>
    /// Assigns vectors [0, n) of <paramref name="x"/>; <paramref name="distances"/> may be null. All pointers must stay pinned
    /// for the call. Each vector's result depends only on its own data, never on the chunking or the thread count.
    /// </summary>
    internal static unsafe void AssignCore(
        float* x, int n, float* centroids, float* norms, int k, int d, int* indices, float* distances, int maxDegreeOfParallelism, SimdWidth width)
    {
        if (maxDegreeOfParallelism > 1 && n > ParallelChunk && (long)n * k * d >= ParallelWorkThreshold)
        {
            var job = new AssignJob(x, n, centroids, norms, k, d, indices, distances, width);
            int chunks = (n + ParallelChunk - 1) / ParallelChunk;
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism }, job.Run);
        }
        else
        {
            AssignRange(x, 0, n, centroids, norms, k, d, indices, distances, width);
        }
    }

    private static unsafe void AssignRange(
        float* x, int start, int end, float* centroids, float* norms, int k, int d, int* indices, float* distances, SimdWidth width)
    {
        switch (width)
        {
            case SimdWidth.Vector512:
                AssignRange<Simd512, Vector512<float>>(x, start, end, centroids, norms, k, d, indices, distances);
                break;
            case SimdWidth.Vector256:
                AssignRange<Simd256, Vector256<float>>(x, start, end, centroids, norms, k, d, indices, distances);
                break;
            default:
                AssignRange<SimdVectorT, Vector<float>>(x, start, end, centroids, norms, k, d, indices, distances);
                break;
        }
    }

    private static unsafe void AssignRange<TOps, TVec>(
        float* x, int start, int end, float* centroids, float* norms, int k, int d, int* indices, float* distances)
        where TOps : struct, IFloatSimd<TVec>
        where TVec : struct
    {
        // Vector blocks stay in L1 while a block of centroids streams from L2; the running best of each vector persists
        // across centroid blocks, which are visited in increasing index order so strict '<' keeps the lowest index on ties.
        int vectorBlock = Math.Clamp(VectorBlockBytes / (d * sizeof(float)) & ~3, 4, MaxVectorBlock);
        int centroidBlock = Math.Max(2, CentroidBlockBytes / (d * sizeof(float)) & ~1);
        float* best = stackalloc float[MaxVectorBlock];
        int* bestIndex = stackalloc int[MaxVectorBlock];
        float* tile = stackalloc float[8];
        for (int v0 = start; v0 < end; v0 += vectorBlock)
        {
            int count = Math.Min(vectorBlock, end - v0);
            float* block = x + ((nint)v0 * d);
            for (int i = 0; i < count; i++)
            {
                best[i] = float.PositiveInfinity;
                bestIndex[i] = 0;
            }

            for (int c0 = 0; c0 < k; c0 += centroidBlock)
            {
                ScanBlock<TOps, TVec>(block, count, centroids, norms, c0, Math.Min(k, c0 + centroidBlock), d, best, bestIndex, tile);
            }

            for (int i = 0; i < count; i++)
            {
                indices[v0 + i] = bestIndex[i];
                if (distances != null)
                {
                    float dist = NearestCentroidKernels.SquaredDistance<TOps, TVec>(
                        block + ((nint)i * d), centroids + ((nint)bestIndex[i] * d), d);
                    distances[v0 + i] = Math.Max(0f, dist);
                }
            }
        }
    }

    private static unsafe void ScanBlock<TOps, TVec>(
        float* block, int count, float* centroids, float* norms, int c0, int c1, int d, float* best, int* bestIndex, float* tile)
        where TOps : struct, IFloatSimd<TVec>
        where TVec : struct
    {
        int q = 0;
        for (; q + 4 <= count; q += 4)
        {
            float* x0 = block + ((nint)q * d);
            float* x1 = x0 + d;
            float* x2 = x1 + d;
            float* x3 = x2 + d;
            float b0 = best[q], b1 = best[q + 1], b2 = best[q + 2], b3 = best[q + 3];
            int i0 = bestIndex[q], i1 = bestIndex[q + 1], i2 = bestIndex[q + 2], i3 = bestIndex[q + 3];
            int j = c0;
            for (; j + 2 <= c1; j += 2)
            {
                float* cj = centroids + ((nint)j * d);
                NearestCentroidKernels.Dot4x2<TOps, TVec>(x0, x1, x2, x3, cj, cj + d, d, tile);
                float n0 = norms[j];
                float n1 = norms[j + 1];
                Keep(n0 - (2f * tile[0]), j, ref b0, ref i0);
                Keep(n0 - (2f * tile[1]), j, ref b1, ref i1);
                Keep(n0 - (2f * tile[2]), j, ref b2, ref i2);
                Keep(n0 - (2f * tile[3]), j, ref b3, ref i3);
                Keep(n1 - (2f * tile[4]), j + 1, ref b0, ref i0);
                Keep(n1 - (2f * tile[5]), j + 1, ref b1, ref i1);
                Keep(n1 - (2f * tile[6]), j + 1, ref b2, ref i2);
                Keep(n1 - (2f * tile[7]), j + 1, ref b3, ref i3);
            }

            if (j < c1)
            {
                float* cj = centroids + ((nint)j * d);
                float nj = norms[j];
                Keep(nj - (2f * NearestCentroidKernels.Dot<TOps, TVec>(x0, cj, d)), j, ref b0, ref i0);
                Keep(nj - (2f * NearestCentroidKernels.Dot<TOps, TVec>(x1, cj, d)), j, ref b1, ref i1);
                Keep(nj - (2f * NearestCentroidKernels.Dot<TOps, TVec>(x2, cj, d)), j, ref b2, ref i2);
                Keep(nj - (2f * NearestCentroidKernels.Dot<TOps, TVec>(x3, cj, d)), j, ref b3, ref i3);
            }

            best[q] = b0;
            best[q + 1] = b1;
            best[q + 2] = b2;
            best[q + 3] = b3;
            bestIndex[q] = i0;
            bestIndex[q + 1] = i1;
            bestIndex[q + 2] = i2;
            bestIndex[q + 3] = i3;
        }

        for (; q < count; q++)
        {
            float* xq = block + ((nint)q * d);
            float b = best[q];
            int bi = bestIndex[q];
            for (int j = c0; j < c1; j++)
            {
                Keep(norms[j] - (2f * NearestCentroidKernels.Dot<TOps, TVec>(xq, centroids + ((nint)j * d), d)), j, ref b, ref bi);
            }

            best[q] = b;
            bestIndex[q] = bi;
        }
    }

    private static void Keep(float score, int index, ref float best, ref int bestIndex)
    {
        if (score < best)
        {
            best = score;
            bestIndex = index;
        }
    }

    /// <summary>Carries the pinned pointers into Parallel.For, which cannot capture spans or fixed locals.</summary>
    private sealed unsafe class AssignJob(
        float* x, int n, float* centroids, float* norms, int k, int d, int* indices, float* distances, SimdWidth width)
    {
        public void Run(int chunk)
        {
            int start = chunk * ParallelChunk;
            AssignRange(x, start, Math.Min(n, start + ParallelChunk), centroids, norms, k, d, indices, distances, width);
        }
    }
}
