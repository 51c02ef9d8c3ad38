using System.Numerics;
using System.Runtime.Intrinsics;
using EdgeCloudVlm.Codec.Quantization;

namespace EdgeCloudVlm.Codec.Training;

/// <summary>
/// Blocked float kernels for projecting rows onto principal components and back. Every output value is computed by the same
/// operation sequence whichever tile, panel or thread produces it, so single-row and many-row calls agree bit for bit.
/// </summary>
internal static unsafe class PcaKernels
{
    /// <summary>Rows handled per block (a multiple of the 4-row tile).</summary>
    public const int RowBlock = 32;

    private const int ComponentBlockBytes = 256 * 1024;

    /// <summary>output[r * k + i] = components_i . (rows_r - mean) for rows [start, end); scratch holds RowBlock * d floats.</summary>
    public static void Project(
        SimdWidth width, float* rows, int start, int end, float* mean, float* components, int d, int k, float* output, float* scratch)
    {
        switch (width)
        {
            case SimdWidth.Vector512:
                Project<Simd512, Vector512<float>>(rows, start, end, mean, components, d, k, output, scratch);
                break;
            case SimdWidth.Vector256:
                Project<Simd256, Vector256<float>>(rows, start, end, mean, components, d, k, output, scratch);
                break;
            default:
                Project<SimdVectorT, Vector<float>>(rows, start, end, mean, components, d, k, output, scratch);
                break;
        }
    }

    /// <summary>rows[r * d + j] = mean_j + sum_i projected[r * k + i] components[i * d + j] for rows [start, end).</summary>
    public static void Reconstruct(SimdWidth width, float* projected, int k, int start, int end, float* components, float* mean, int d, float* rows)
    {
        switch (width)
        {
            case SimdWidth.Vector512:
                Reconstruct<Simd512, Vector512<float>>(projected, k, start, end, components, mean, d, rows);
                break;
            case SimdWidth.Vector256:
                Reconstruct<Simd256, Vector256<float>>(projected, k, start, end, components, mean, d, rows);
                break;
            default:
                Reconstruct<SimdVectorT, Vector<float>>(projected, k, start, end, components, mean, d, rows);
                break;
        }
    }

    private static void Project<TOps, TVec>(
        float* rows, int start, int end, float* mean, float* components, int d, int k, float* output, float* scratch)
        where TOps : struct, IFloatSimd<TVec>
        where TVec : struct
    {
        int width = TOps.Count;
        int componentBlock = Math.Max(2, ComponentBlockBytes / (d * sizeof(float)) & ~1);
        float* tile = stackalloc float[8];
        for (int r0 = start; r0 < end; r0 += RowBlock)
        {
            int m = Math.Min(RowBlock, end - r0);
            for (int r = 0; r < m; r++)
            {
                float* source = rows + ((nint)(r0 + r) * d);
                float* target = scratch + ((nint)r * d);
                int j = 0;
                for (; j <= d - width; j += width)
                {
                    TOps.Store(TOps.Subtract(TOps.Load(source + j), TOps.Load(mean + j)), target + j);
                }

                for (; j < d; j++)
                {
                    target[j] = source[j] - mean[j];
                }
            }

            for (int c0 = 0; c0 < k; c0 += componentBlock)
            {
                int c1 = Math.Min(k, c0 + componentBlock);
                int q = 0;
                for (; q + 4 <= m; q += 4)
                {
                    float* x0 = scratch + ((nint)q * d);
                    float* out0 = output + ((nint)(r0 + q) * k);
                    int i = c0;
                    for (; i + 2 <= c1; i += 2)
                    {
                        float* ci = components + ((nint)i * d);
                        NearestCentroidKernels.Dot4x2<TOps, TVec>(x0, x0 + d, x0 + (2 * d), x0 + (3 * d), ci, ci + d, d, tile);
                        for (int t = 0; t < 4; t++)
                        {
                            out0[(t * k) + i] = tile[t];
                            out0[(t * k) + i + 1] = tile[4 + t];
                        }
                    }

                    for (; i < c1; i++)
                    {
                        float* ci = components + ((nint)i * d);
                        for (int t = 0; t < 4; t++)
                        {
                            out0[(t * k) + i] = NearestCentroidKernels.Dot<TOps, TVec>(x0 + ((nint)t * d), ci, d);
                        }
                    }
                }

                for (; q < m; q++)
                {
                    float* xq = scratch + ((nint)q * d);
                    float* outq = output + ((nint)(r0 + q) * k);
                    for (int i = c0; i < c1; i++)
                    {
                        outq[i] = NearestCentroidKernels.Dot<TOps, TVec>(xq, components + ((nint)i * d), d);
                    }
                }
            }
        }
    }

    private static void Reconstruct<TOps, TVec>(float* projected, int k, int start, int end, float* components, float* mean, int d, float* rows)
        where TOps : struct, IFloatSimd<TVec>
        where TVec : struct
    {
        // Column panels two vectors wide: a panel of all k components stays in L2 while every row of the block streams past.
        int width = TOps.Count;
        for (int r0 = start; r0 < end; r0 += RowBlock)
        {
            int m = Math.Min(RowBlock, end - r0);
            float* y = projected + ((nint)r0 * k);
            float* x = rows + ((nint)r0 * d);
            int j = 0;
            for (; j + (2 * width) <= d; j += 2 * width)
            {
                int q = 0;
                for (; q + 4 <= m; q += 4)
                {
                    Panel4x2<TOps, TVec>(y + ((nint)q * k), k, components + j, mean + j, d, x + ((nint)q * d) + j);
                }

                for (; q < m; q++)
                {
                    Panel1x2<TOps, TVec>(y + ((nint)q * k), k, components + j, mean + j, d, x + ((nint)q * d) + j);
                }
            }

            for (; j + width <= d; j += width)
            {
                for (int q = 0; q < m; q++)
                {
                    float* yq = y + ((nint)q * k);
                    TVec acc = TOps.Zero;
                    for (int i = 0; i < k; i++)
                    {
                        acc = TOps.MulAdd(TOps.Broadcast(yq[i]), TOps.Load(components + ((nint)i * d) + j), acc);
                    }

                    TOps.Store(TOps.Add(acc, TOps.Load(mean + j)), x + ((nint)q * d) + j);
                }
            }

            for (; j < d; j++)
            {
                for (int q = 0; q < m; q++)
                {
                    float* yq = y + ((nint)q * k);
                    float acc = 0;
                    for (int i = 0; i < k; i++)
                    {
                        acc = TOps.MulAdd(yq[i], components[((nint)i * d) + j], acc);
                    }

                    x[((nint)q * d) + j] = acc + mean[j];
                }
            }
        }
    }

    private static void Panel4x2<TOps, TVec>(float* y, int k, float* column, float* mean, int d, float* x)
        where TOps : struct, IFloatSimd<TVec>
        where TVec : struct
    {
        int width = TOps.Count;
        TVec a00 = TOps.Zero, a01 = TOps.Zero, a10 = TOps.Zero, a11 = TOps.Zero;
        TVec a20 = TOps.Zero, a21 = TOps.Zero, a30 = TOps.Zero, a31 = TOps.Zero;
        float* y1 = y + k;
        float* y2 = y1 + k;
        float* y3 = y2 + k;
        for (int i = 0; i < k; i++)
        {
            float* c = column + ((nint)i * d);
            TVec c0 = TOps.Load(c);
            TVec c1 = TOps.Load(c + width);
            TVec b = TOps.Broadcast(y[i]);
            a00 = TOps.MulAdd(b, c0, a00);
            a01 = TOps.MulAdd(b, c1, a01);
            b = TOps.Broadcast(y1[i]);
            a10 = TOps.MulAdd(b, c0, a10);
            a11 = TOps.MulAdd(b, c1, a11);
            b = TOps.Broadcast(y2[i]);
            a20 = TOps.MulAdd(b, c0, a20);
            a21 = TOps.MulAdd(b, c1, a21);
            b = TOps.Broadcast(y3[i]);
            a30 = TOps.MulAdd(b, c0, a30);
            a31 = TOps.MulAdd(b, c1, a31);
        }

        TVec m0 = TOps.Load(mean);
        TVec m1 = TOps.Load(mean + width);
        TOps.Store(TOps.Add(a00, m0), x);
        TOps.Store(TOps.Add(a01, m1), x + width);
        TOps.Store(TOps.Add(a10, m0), x + d);
        TOps.Store(TOps.Add(a11, m1), x + d + width);
        TOps.Store(TOps.Add(a20, m0), x + (2 * d));
        TOps.Store(TOps.Add(a21, m1), x + (2 * d) + width);
        TOps.Store(TOps.Add(a30, m0), x + (3 * d));
        TOps.Store(TOps.Add(a31, m1), x + (3 * d) + width);
    }

    private static void Panel1x2<TOps, TVec>(float* y, int k, float* column, float* mean, int d, float* x)
        where TOps : struct, IFloatSimd<TVec>
        where TVec : struct
    {
        int width = TOps.Count;
        TVec a0 = TOps.Zero, a1 = TOps.Zero;
        for (int i = 0; i < k; i++)
        {
            float* c = column + ((nint)i * d);
            TVec b = TOps.Broadcast(y[i]);
            a0 = TOps.MulAdd(b, TOps.Load(c), a0);
            a1 = TOps.MulAdd(b, TOps.Load(c + width), a1);
        }

        TOps.Store(TOps.Add(a0, TOps.Load(mean)), x);
        TOps.Store(TOps.Add(a1, TOps.Load(mean + width)), x + width);
    }
}
