using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EdgeCloudVlm.Codec.Quantization;

/// <summary>
/// Dot-product and distance micro-kernels shared by nearest-centroid search, k-means and PCA.
/// Every dot product, whichever kernel computes it, is one vector accumulator fed in index order, reduced with Sum, plus a
/// scalar tail accumulated in index order: a value never depends on its position in a tile, so results do not depend on how
/// work is split into tiles or threads.
/// </summary>
internal static unsafe class NearestCentroidKernels
{
    /// <summary>
    /// Dot products of four vectors with two others: <paramref name="result"/>[r] = x_r . c0 and [4 + r] = x_r . c1.
    /// Eight independent accumulators hide the FMA latency and each loaded c lane serves four vectors.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dot4x2<TOps, TVec>(float* x0, float* x1, float* x2, float* x3, float* c0, float* c1, int length, float* result)
        where TOps : struct, IFloatSimd<TVec>
        where TVec : struct
    {
        int width = TOps.Count;
        TVec a00 = TOps.Zero, a10 = TOps.Zero, a20 = TOps.Zero, a30 = TOps.Zero;
        TVec a01 = TOps.Zero, a11 = TOps.Zero, a21 = TOps.Zero, a31 = TOps.Zero;
        int k = 0;
        for (; k <= length - width; k += width)
        {
            TVec v0 = TOps.Load(c0 + k);
            TVec v1 = TOps.Load(c1 + k);
            TVec x = TOps.Load(x0 + k);
            a00 = TOps.MulAdd(x, v0, a00);
            a01 = TOps.MulAdd(x, v1, a01);
            x = TOps.Load(x1 + k);
            a10 = TOps.MulAdd(x, v0, a10);
            a11 = TOps.MulAdd(x, v1, a11);
            x = TOps.Load(x2 + k);
            a20 = TOps.MulAdd(x, v0, a20);
            a21 = TOps.MulAdd(x, v1, a21);
            x = TOps.Load(x3 + k);
            a30 = TOps.MulAdd(x, v0, a30);
            a31 = TOps.MulAdd(x, v1, a31);
        }

        float t00 = 0, t10 = 0, t20 = 0, t30 = 0, t01 = 0, t11 = 0, t21 = 0, t31 = 0;
        for (; k < length; k++)
        {
            float v0 = c0[k], v1 = c1[k];
            t00 = TOps.MulAdd(x0[k], v0, t00);
            t01 = TOps.MulAdd(x0[k], v1, t01);
            t10 = TOps.MulAdd(x1[k], v0, t10);
            t11 = TOps.MulAdd(x1[k], v1, t11);
            t20 = TOps.MulAdd(x2[k], v0, t20);
            t21 = TOps.MulAdd(x2[k], v1, t21);
            t30 = TOps.MulAdd(x3[k], v0, t30);
            t31 = TOps.MulAdd(x3[k], v1, t31);
        }

        result[0] = TOps.Sum(a00) + t00;
        result[1] = TOps.Sum(a10) + t10;
        result[2] = TOps.Sum(a20) + t20;
        result[3] = TOps.Sum(a30) + t30;
        result[4] = TOps.Sum(a01) + t01;
        result[5] = TOps.Sum(a11) + t11;
        result[6] = TOps.Sum(a21) + t21;
        result[7] = TOps.Sum(a31) + t31;
    }

    /// <summary>One dot product, bit-identical to the same pair computed inside <see cref="Dot4x2"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot<TOps, TVec>(float* x, float* c, int length)
        where TOps : struct, IFloatSimd<TVec>
        where TVec : struct
    {
        int width = TOps.Count;
        TVec acc = TOps.Zero;
        int k = 0;
        for (; k <= length - width; k += width)
        {
            acc = TOps.MulAdd(TOps.Load(x + k), TOps.Load(c + k), acc);
        }

        float tail = 0;
        for (; k < length; k++)
        {
            tail = TOps.MulAdd(x[k], c[k], tail);
        }

        return TOps.Sum(acc) + tail;
    }

    /// <summary>||x - c||^2 computed from the differences (no cancellation), so it is exact up to rounding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SquaredDistance<TOps, TVec>(float* x, float* c, int length)
        where TOps : struct, IFloatSimd<TVec>
        where TVec : struct
    {
        int width = TOps.Count;
        TVec acc = TOps.Zero;
        int k = 0;
        for (; k <= length - width; k += width)
        {
            TVec diff = TOps.Subtract(TOps.Load(x + k), TOps.Load(c + k));
            acc = TOps.MulAdd(diff, diff, acc);
        }

        float tail = 0;
        for (; k < length; k++)
        {
            float diff = x[k] - c[k];
            tail = TOps.MulAdd(diff, diff, tail);
        }

        return TOps.Sum(acc) + tail;
    }

    /// <summary><see cref="SquaredDistance{TOps, TVec}"/> at a width chosen at run time.</summary>
    public static float SquaredDistance(SimdWidth width, float* x, float* c, int length) => width switch
    {
        SimdWidth.Vector512 => SquaredDistance<Simd512, Vector512<float>>(x, c, length),
        SimdWidth.Vector256 => SquaredDistance<Simd256, Vector256<float>>(x, c, length),
        _ => SquaredDistance<SimdVectorT, Vector<float>>(x, c, length),
    };
}
