using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace EdgeCloudVlm.Codec.Numerics;

/// <summary>
/// C = A · Bᵀ for row-major A [rowsA x inner] and B [rowsB x inner]: every dot product between a row of A and a row
/// of B. Projection (B = components) and reconstruction (B = transposed components) both take this form, so one
/// blocked, vectorized kernel serves both.
/// </summary>
internal static class MatrixMultiply
{
    private const int BlockRowsB = 64;

    public static void MultiplyTransposed(
        ReadOnlySpan<float> a, int rowsA, ReadOnlySpan<float> b, int rowsB, int inner, Span<float> c, int maxDegreeOfParallelism = 1)
    {
        if (a.Length < (long)rowsA * inner || b.Length < (long)rowsB * inner || c.Length < (long)rowsA * rowsB)
        {
            throw new ArgumentException("Matrix spans are smaller than their shapes.");
        }

        var work = (long)rowsA * rowsB * inner;
        var blocksA = (rowsA + 3) / 4;
        if (maxDegreeOfParallelism <= 1 || blocksA < 2 || work < 2_000_000)
        {
            MultiplyRange(a, b, rowsB, inner, c, 0, rowsA);
            return;
        }

        MultiplyParallel(a, rowsA, b, rowsB, inner, c, maxDegreeOfParallelism, blocksA);
    }

    // Separate method so the closure below is only allocated when the work really runs in parallel.
    private static void MultiplyParallel(
        ReadOnlySpan<float> a, int rowsA, ReadOnlySpan<float> b, int rowsB, int inner, Span<float> c, int maxDegreeOfParallelism, int blocksA)
    {
        unsafe
        {
            fixed (float* pa = a)
            fixed (float* pb = b)
            fixed (float* pc = c)
            {
                var state = new Pointers(pa, pb, pc);
                var chunks = Math.Min(blocksA, maxDegreeOfParallelism * 4);
                var options = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism };
                Parallel.For(0, chunks, options, chunk =>
                {
                    var start = (int)((long)blocksA * chunk / chunks) * 4;
                    var end = Math.Min(rowsA, (int)((long)blocksA * (chunk + 1) / chunks) * 4);
                    var sa = new ReadOnlySpan<float>(state.A, rowsA * inner);
                    var sb = new ReadOnlySpan<float>(state.B, rowsB * inner);
                    var sc = new Span<float>(state.C, rowsA * rowsB);
                    MultiplyRange(sa, sb, rowsB, inner, sc, start, end);
                });
            }
        }
    }

    private static void MultiplyRange(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int rowsB, int inner, Span<float> c, int rowStart, int rowEnd)
    {
        for (var jBlock = 0; jBlock < rowsB; jBlock += BlockRowsB)
        {
            var jEnd = Math.Min(rowsB, jBlock + BlockRowsB);
            var i = rowStart;
            for (; i + 4 <= rowEnd; i += 4)
            {
                var j = jBlock;
                if (Vector256.IsHardwareAccelerated)
                {
                    for (; j + 4 <= jEnd; j += 4)
                    {
                        Kernel4x4(a, b, inner, c, rowsB, i, j);
                    }
                }

                for (; j < jEnd; j++)
                {
                    var bRow = b.Slice(j * inner, inner);
                    for (var r = 0; r < 4; r++)
                    {
                        c[((i + r) * rowsB) + j] = TensorPrimitives.Dot(a.Slice((i + r) * inner, inner), bRow);
                    }
                }
            }

            for (; i < rowEnd; i++)
            {
                var aRow = a.Slice(i * inner, inner);
                for (var j = jBlock; j < jEnd; j++)
                {
                    c[(i * rowsB) + j] = TensorPrimitives.Dot(aRow, b.Slice(j * inner, inner));
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Kernel4x4(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int inner, Span<float> c, int rowsB, int i, int j)
    {
        ref var a0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(a), i * inner);
        ref var a1 = ref Unsafe.Add(ref a0, inner);
        ref var a2 = ref Unsafe.Add(ref a1, inner);
        ref var a3 = ref Unsafe.Add(ref a2, inner);
        ref var b0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(b), j * inner);
        ref var b1 = ref Unsafe.Add(ref b0, inner);
        ref var b2 = ref Unsafe.Add(ref b1, inner);
        ref var b3 = ref Unsafe.Add(ref b2, inner);

        Vector256<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector256<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector256<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector256<float> c30 = default, c31 = default, c32 = default, c33 = default;
        var k = 0;
        for (; k + 8 <= inner; k += 8)
        {
            var vb0 = Vector256.LoadUnsafe(ref b0, (nuint)k);
            var vb1 = Vector256.LoadUnsafe(ref b1, (nuint)k);
            var vb2 = Vector256.LoadUnsafe(ref b2, (nuint)k);
            var vb3 = Vector256.LoadUnsafe(ref b3, (nuint)k);

            var va = Vector256.LoadUnsafe(ref a0, (nuint)k);
            c00 = Vector256.FusedMultiplyAdd(va, vb0, c00);
            c01 = Vector256.FusedMultiplyAdd(va, vb1, c01);
            c02 = Vector256.FusedMultiplyAdd(va, vb2, c02);
            c03 = Vector256.FusedMultiplyAdd(va, vb3, c03);
            va = Vector256.LoadUnsafe(ref a1, (nuint)k);
            c10 = Vector256.FusedMultiplyAdd(va, vb0, c10);
            c11 = Vector256.FusedMultiplyAdd(va, vb1, c11);
            c12 = Vector256.FusedMultiplyAdd(va, vb2, c12);
            c13 = Vector256.FusedMultiplyAdd(va, vb3, c13);
            va = Vector256.LoadUnsafe(ref a2, (nuint)k);
            c20 = Vector256.FusedMultiplyAdd(va, vb0, c20);
            c21 = Vector256.FusedMultiplyAdd(va, vb1, c21);
            c22 = Vector256.FusedMultiplyAdd(va, vb2, c22);
            c23 = Vector256.FusedMultiplyAdd(va, vb3, c23);
            va = Vector256.LoadUnsafe(ref a3, (nuint)k);
            c30 = Vector256.FusedMultiplyAdd(va, vb0, c30);
            c31 = Vector256.FusedMultiplyAdd(va, vb1, c31);
            c32 = Vector256.FusedMultiplyAdd(va, vb2, c32);
            c33 = Vector256.FusedMultiplyAdd(va, vb3, c33);
        }

        Span<float> sums = stackalloc float[16];
        sums[0] = Vector256.Sum(c00); sums[1] = Vector256.Sum(c01); sums[2] = Vector256.Sum(c02); sums[3] = Vector256.Sum(c03);
        sums[4] = Vector256.Sum(c10); sums[5] = Vector256.Sum(c11); sums[6] = Vector256.Sum(c12); sums[7] = Vector256.Sum(c13);
        sums[8] = Vector256.Sum(c20); sums[9] = Vector256.Sum(c21); sums[10] = Vector256.Sum(c22); sums[11] = Vector256.Sum(c23);
        sums[12] = Vector256.Sum(c30); sums[13] = Vector256.Sum(c31); sums[14] = Vector256.Sum(c32); sums[15] = Vector256.Sum(c33);
        for (; k < inner; k++)
        {
            for (var r = 0; r < 4; r++)
            {
                var av = Unsafe.Add(ref a0, (r * inner) + k);
                for (var s = 0; s < 4; s++)
                {
                    sums[(r * 4) + s] += av * Unsafe.Add(ref b0, (s * inner) + k);
                }
            }
        }

        for (var r = 0; r < 4; r++)
        {
            sums.Slice(r * 4, 4).CopyTo(c.Slice(((i + r) * rowsB) + j, 4));
        }
    }

    private readonly unsafe struct Pointers(float* a, float* b, float* c)
    {
        public readonly float* A = a;
        public readonly float* B = b;
        public readonly float* C = c;
    }
}
