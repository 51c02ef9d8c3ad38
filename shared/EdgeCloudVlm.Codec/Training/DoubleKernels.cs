using System.Numerics;
using System.Runtime.CompilerServices;

namespace EdgeCloudVlm.Codec.Training;

/// <summary>
/// Double-precision vector kernels for PCA. Each output value is computed by the same sequence of operations whatever its
/// offset, the kernel that computes it or the thread, so results never depend on how work is split. Element-wise kernels use
/// separate multiply and add (identical in vector lanes and scalar tails); dot products use one accumulator in index order.
/// </summary>
internal static unsafe class DoubleKernels
{
    /// <summary>a . b.</summary>
    public static double Dot(double* a, double* b, int length)
    {
        int width = Vector<double>.Count;
        Vector<double> acc = Vector<double>.Zero;
        int k = 0;
        for (; k <= length - width; k += width)
        {
            acc += Vector.Load(a + k) * Vector.Load(b + k);
        }

        double tail = 0;
        for (; k < length; k++)
        {
            tail += a[k] * b[k];
        }

        return Vector.Sum(acc) + tail;
    }

    /// <summary>result[i] = a . b_i for four vectors b_i, each bit-identical to <see cref="Dot"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Dot4(double* a, double* b0, double* b1, double* b2, double* b3, int length, double* result)
    {
        int width = Vector<double>.Count;
        Vector<double> acc0 = Vector<double>.Zero, acc1 = Vector<double>.Zero, acc2 = Vector<double>.Zero, acc3 = Vector<double>.Zero;
        int k = 0;
        for (; k <= length - width; k += width)
        {
            Vector<double> x = Vector.Load(a + k);
            acc0 += x * Vector.Load(b0 + k);
            acc1 += x * Vector.Load(b1 + k);
            acc2 += x * Vector.Load(b2 + k);
            acc3 += x * Vector.Load(b3 + k);
        }

        double t0 = 0, t1 = 0, t2 = 0, t3 = 0;
        for (; k < length; k++)
        {
            double x = a[k];
            t0 += x * b0[k];
            t1 += x * b1[k];
            t2 += x * b2[k];
            t3 += x * b3[k];
        }

        result[0] = Vector.Sum(acc0) + t0;
        result[1] = Vector.Sum(acc1) + t1;
        result[2] = Vector.Sum(acc2) + t2;
        result[3] = Vector.Sum(acc3) + t3;
    }

    /// <summary>target += scale * source.</summary>
    public static void AddScaled(double* target, double scale, double* source, int length)
    {
        int width = Vector<double>.Count;
        var s = new Vector<double>(scale);
        int k = 0;
        for (; k <= length - width; k += width)
        {
            Vector.Store(Vector.Load(target + k) + (s * Vector.Load(source + k)), target + k);
        }

        for (; k < length; k++)
        {
            target[k] += scale * source[k];
        }
    }

    /// <summary>
    /// target -= (a * u + b * w): the symmetric rank-2 update of one row. The two products are added before the subtraction,
    /// and addition commutes exactly, so entry (r, c) and entry (c, r) get the same bits and the matrix stays exactly symmetric.
    /// </summary>
    public static void SubtractRank2(double* target, double a, double* u, double b, double* w, int length)
    {
        int width = Vector<double>.Count;
        var va = new Vector<double>(a);
        var vb = new Vector<double>(b);
        int k = 0;
        for (; k <= length - width; k += width)
        {
            Vector<double> update = (va * Vector.Load(u + k)) + (vb * Vector.Load(w + k));
            Vector.Store(Vector.Load(target + k) - update, target + k);
        }

        for (; k < length; k++)
        {
            target[k] -= (a * u[k]) + (b * w[k]);
        }
    }

    /// <summary>Plane rotation of two rows: (x, y) becomes (c x - s y, s x + c y).</summary>
    public static void Rotate(double* x, double* y, double c, double s, int length)
    {
        int width = Vector<double>.Count;
        var vc = new Vector<double>(c);
        var vs = new Vector<double>(s);
        int k = 0;
        for (; k <= length - width; k += width)
        {
            Vector<double> a = Vector.Load(x + k);
            Vector<double> b = Vector.Load(y + k);
            Vector.Store((vc * a) - (vs * b), x + k);
            Vector.Store((vs * a) + (vc * b), y + k);
        }

        for (; k < length; k++)
        {
            double a = x[k];
            double b = y[k];
            x[k] = (c * a) - (s * b);
            y[k] = (s * a) + (c * b);
        }
    }
}
