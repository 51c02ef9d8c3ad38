using System.Numerics;
using System.Runtime.Intrinsics;

namespace EdgeCloudVlm.Codec.Quantization;

/// <summary>
/// The search kernel. Centroids are laid out lane-per-centroid (a block of W centroids holds ||c||^2 and then -2 c_j for each
/// dimension j, W lanes wide), so one FMA per dimension scores W centroids against a vector, ||c||^2 - 2 x.c accumulated
/// directly, with no horizontal sums or scalar tails at any dimension. Tiles of four vectors by two blocks give eight
/// independent FMA chains; centroid blocks are visited in L2-sized ranges against L1-sized vector chunks. A running
/// per-lane minimum keeps each lane's best block; the lanes are merged at the end with ties going to the lowest index.
/// Measured on this project's AVX-512 machine (both 512- and 256-bit paths) it beat dot-product tiles (4 vectors x 2
/// centroids) at every dimension tried from 4 to 1024, by 2-10x below 64 dimensions.
/// </summary>
public static partial class NearestCentroid
{
    private const int MaxLanes = 16;
    private const int MaxLaneVectorChunk = 32;
    private const int LaneVectorBytes = 32 * 1024;
    private const int LaneBlockBytes = 256 * 1024;

    /// <summary>Lanes of a vector of <paramref name="width"/>.</summary>
    internal static int LaneCount(SimdWidth width) => width switch
    {
        SimdWidth.Vector512 => Vector512<float>.Count,
        SimdWidth.Vector256 => Vector256<float>.Count,
        _ => Vector<float>.Count,
    };

    /// <summary>Floats needed by <see cref="BuildLaneLayout"/>.</summary>
    internal static int LaneLayoutLength(int k, int d, int lanes) => (k + lanes - 1) / lanes * (d + 1) * lanes;

    /// <summary>
    /// Per block of <paramref name="lanes"/> centroids: row 0 holds ||c||^2, rows 1..d hold -2 c_j (exact: a power-of-two
    /// scale), lane l for centroid block*lanes + l. Padding lanes get +inf norms so they never win.
    /// </summary>
    internal static unsafe void BuildLaneLayout(float* centroids, float* norms, int k, int d, int lanes, float* layout)
    {
        int blocks = (k + lanes - 1) / lanes;
        for (int b = 0; b < blocks; b++)
        {
            float* block = layout + ((nint)b * (d + 1) * lanes);
            for (int l = 0; l < lanes; l++)
            {
                int c = (b * lanes) + l;
                bool real = c < k;
                block[l] = real ? norms[c] : float.PositiveInfinity;
                for (int j = 0; j < d; j++)
                {
                    block[((j + 1) * lanes) + l] = real ? -2f * centroids[((nint)c * d) + j] : 0f;
                }
            }
        }
    }

    private static unsafe void AssignRange(
        float* x, int start, int end, float* layout, float* centroids, int k, int d, int* indices, float* distances, SimdWidth width)
    {
        switch (width)
        {
            case SimdWidth.Vector512:
                AssignRange<Simd512, Vector512<float>>(x, start, end, layout, centroids, k, d, indices, distances);
                break;
            case SimdWidth.Vector256:
                AssignRange<Simd256, Vector256<float>>(x, start, end, layout, centroids, k, d, indices, distances);
                break;
            default:
                AssignRange<SimdVectorT, Vector<float>>(x, start, end, layout, centroids, k, d, indices, distances);
                break;
        }
    }

    private static unsafe void AssignRange<TOps, TVec>(
        float* x, int start, int end, float* layout, float* centroids, int k, int d, int* indices, float* distances)
        where TOps : struct, IFloatSimd<TVec>
        where TVec : struct
    {
        int lanes = TOps.Count;
        if (lanes > MaxLanes)
        {
            throw new PlatformNotSupportedException($"Vectors of {lanes} floats exceed the supported {MaxLanes}.");
        }

        int blocks = (k + lanes - 1) / lanes;
        int stride = (d + 1) * lanes;

        // A range of centroid blocks sized for L2 is scored against a chunk of vectors sized for L1; each vector's running
        // per-lane best survives between ranges in `state`, and ranges go in increasing index order.
        int blockRange = Math.Max(2, LaneBlockBytes / (stride * sizeof(float)) & ~1);
        int vectorChunk = Math.Clamp(LaneVectorBytes / (d * sizeof(float)) & ~3, 4, MaxLaneVectorChunk);
        float* bestState = stackalloc float[MaxLaneVectorChunk * MaxLanes];
        float* tagState = stackalloc float[MaxLaneVectorChunk * MaxLanes];
        for (int v0 = start; v0 < end; v0 += vectorChunk)
        {
            int count = Math.Min(vectorChunk, end - v0);
            for (int i = 0; i < count * lanes; i++)
            {
                bestState[i] = float.PositiveInfinity;
                tagState[i] = 0;
            }

            for (int b0 = 0; b0 < blocks; b0 += blockRange)
            {
                ScanLaneBlocks<TOps, TVec>(x + ((nint)v0 * d), count, layout, b0, Math.Min(blocks, b0 + blockRange), d, bestState, tagState);
            }

            for (int i = 0; i < count; i++)
            {
                indices[v0 + i] = LowestBest<TOps, TVec>(bestState + (i * lanes), tagState + (i * lanes));
            }
        }

        if (distances != null)
        {
            for (int i = start; i < end; i++)
            {
                float dist = NearestCentroidKernels.SquaredDistance<TOps, TVec>(x + ((nint)i * d), centroids + ((nint)indices[i] * d), d);
                distances[i] = Math.Max(0f, dist);
            }
        }
    }

    private static unsafe void ScanLaneBlocks<TOps, TVec>(
        float* x, int count, float* layout, int firstBlock, int endBlock, int d, float* bestState, float* tagState)
        where TOps : struct, IFloatSimd<TVec>
        where TVec : struct
    {
        int lanes = TOps.Count;
        int stride = (d + 1) * lanes;
        int v = 0;

        // Four vectors by two blocks: eight independent FMA chains, each layout row loaded once for four vectors.
        for (; v + 4 <= count; v += 4)
        {
            float* x0 = x + ((nint)v * d);
            float* x1 = x0 + d;
            float* x2 = x1 + d;
            float* x3 = x2 + d;
            float* state = bestState + (v * lanes);
            float* tags = tagState + (v * lanes);
            TVec b0 = TOps.Load(state), b1 = TOps.Load(state + lanes), b2 = TOps.Load(state + (2 * lanes)), b3 = TOps.Load(state + (3 * lanes));
            TVec t0 = TOps.Load(tags), t1 = TOps.Load(tags + lanes), t2 = TOps.Load(tags + (2 * lanes)), t3 = TOps.Load(tags + (3 * lanes));
            int blk = firstBlock;
            for (; blk + 2 <= endBlock; blk += 2)
            {
                float* l0 = layout + ((nint)blk * stride);
                float* l1 = l0 + stride;
                TVec s00 = TOps.Load(l0), s01 = TOps.Load(l1);
                TVec s10 = s00, s11 = s01, s20 = s00, s21 = s01, s30 = s00, s31 = s01;
                for (int j = 0; j < d; j++)
                {
                    TVec r0 = TOps.Load(l0 + ((j + 1) * lanes));
                    TVec r1 = TOps.Load(l1 + ((j + 1) * lanes));
                    TVec xb = TOps.Broadcast(x0[j]);
                    s00 = TOps.MulAdd(xb, r0, s00);
                    s01 = TOps.MulAdd(xb, r1, s01);
                    xb = TOps.Broadcast(x1[j]);
                    s10 = TOps.MulAdd(xb, r0, s10);
                    s11 = TOps.MulAdd(xb, r1, s11);
                    xb = TOps.Broadcast(x2[j]);
                    s20 = TOps.MulAdd(xb, r0, s20);
                    s21 = TOps.MulAdd(xb, r1, s21);
                    xb = TOps.Broadcast(x3[j]);
                    s30 = TOps.MulAdd(xb, r0, s30);
                    s31 = TOps.MulAdd(xb, r1, s31);
                }

                TVec tag0 = TOps.Broadcast(blk);
                TVec tag1 = TOps.Broadcast(blk + 1);
                Keep<TOps, TVec>(s00, tag0, ref b0, ref t0);
                Keep<TOps, TVec>(s01, tag1, ref b0, ref t0);
                Keep<TOps, TVec>(s10, tag0, ref b1, ref t1);
                Keep<TOps, TVec>(s11, tag1, ref b1, ref t1);
                Keep<TOps, TVec>(s20, tag0, ref b2, ref t2);
                Keep<TOps, TVec>(s21, tag1, ref b2, ref t2);
                Keep<TOps, TVec>(s30, tag0, ref b3, ref t3);
                Keep<TOps, TVec>(s31, tag1, ref b3, ref t3);
            }

            if (blk < endBlock)
            {
                float* l0 = layout + ((nint)blk * stride);
                TVec s0 = TOps.Load(l0);
                TVec s1 = s0, s2 = s0, s3 = s0;
                for (int j = 0; j < d; j++)
                {
                    TVec r0 = TOps.Load(l0 + ((j + 1) * lanes));
                    s0 = TOps.MulAdd(TOps.Broadcast(x0[j]), r0, s0);
                    s1 = TOps.MulAdd(TOps.Broadcast(x1[j]), r0, s1);
                    s2 = TOps.MulAdd(TOps.Broadcast(x2[j]), r0, s2);
                    s3 = TOps.MulAdd(TOps.Broadcast(x3[j]), r0, s3);
                }

                TVec tag = TOps.Broadcast(blk);
                Keep<TOps, TVec>(s0, tag, ref b0, ref t0);
                Keep<TOps, TVec>(s1, tag, ref b1, ref t1);
                Keep<TOps, TVec>(s2, tag, ref b2, ref t2);
                Keep<TOps, TVec>(s3, tag, ref b3, ref t3);
            }

            TOps.Store(b0, state);
            TOps.Store(b1, state + lanes);
            TOps.Store(b2, state + (2 * lanes));
            TOps.Store(b3, state + (3 * lanes));
            TOps.Store(t0, tags);
            TOps.Store(t1, tags + lanes);
            TOps.Store(t2, tags + (2 * lanes));
            TOps.Store(t3, tags + (3 * lanes));
        }

        for (; v < count; v++)
        {
            float* xv = x + ((nint)v * d);
            float* state = bestState + (v * lanes);
            float* tags = tagState + (v * lanes);
            TVec best = TOps.Load(state);
            TVec bestTag = TOps.Load(tags);
            for (int blk = firstBlock; blk < endBlock; blk++)
            {
                float* l0 = layout + ((nint)blk * stride);
                TVec s = TOps.Load(l0);
                for (int j = 0; j < d; j++)
                {
                    s = TOps.MulAdd(TOps.Broadcast(xv[j]), TOps.Load(l0 + ((j + 1) * lanes)), s);
                }

                Keep<TOps, TVec>(s, TOps.Broadcast(blk), ref best, ref bestTag);
            }

            TOps.Store(best, state);
            TOps.Store(bestTag, tags);
        }
    }

    /// <summary>Per lane, keeps the new score and its block tag where it is strictly smaller (earlier blocks win ties).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Keep<TOps, TVec>(TVec score, TVec tag, ref TVec best, ref TVec bestTag)
        where TOps : struct, IFloatSimd<TVec>
        where TVec : struct
    {
        TVec smaller = TOps.LessThan(score, best);
        best = TOps.Select(smaller, score, best);
        bestTag = TOps.Select(smaller, tag, bestTag);
    }

    /// <summary>Centroid index of the smallest lane score; equal scores resolve to the lowest centroid index.</summary>
    private static unsafe int LowestBest<TOps, TVec>(float* scores, float* tags)
        where TOps : struct, IFloatSimd<TVec>
        where TVec : struct
    {
        int lanes = TOps.Count;
        float bestScore = float.PositiveInfinity;
        int bestIndex = int.MaxValue;
        for (int l = 0; l < lanes; l++)
        {
            int index = ((int)tags[l] * lanes) + l;
            if (scores[l] < bestScore || (scores[l] == bestScore && index < bestIndex))
            {
                bestScore = scores[l];
                bestIndex = index;
            }
        }

        return bestIndex;
    }
}
