using System.Buffers;
using EdgeCloudVlm.Codec.Quantization;

namespace EdgeCloudVlm.Codec.Training;

/// <summary>Principal component analysis of row-major data: the mean and orthonormal components by decreasing variance.</summary>
/// <param name="Mean">Per-dimension mean, Dimension values.</param>
/// <param name="Components">Dimension x Dimension, row i = the i-th unit component.</param>
/// <param name="Variances">Variance along each component (eigenvalues of the covariance), decreasing, never negative.</param>
/// <param name="Dimension">Dimension of the data.</param>
public sealed record PcaResult(float[] Mean, float[] Components, double[] Variances, int Dimension)
{
    /// <summary>Multiply-adds below which the row methods stay on the calling thread.</summary>
    private const long ParallelWork = 1L << 20;
    private const int ParallelRows = 64;

    /// <summary>y = C (x - mean) restricted to the first <c>y.Length</c> components.</summary>
    /// <param name="x">Dimension values.</param>
    /// <param name="y">Receives the first y.Length coordinates (at most Dimension).</param>
    public void Project(ReadOnlySpan<float> x, Span<float> y)
    {
        CheckShape();
        CheckLength(x.Length, Dimension, nameof(x));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(y.Length, Dimension, nameof(y));
        if (!y.IsEmpty)
        {
            ProjectCore(x, 1, y, y.Length, 1);
        }
    }

    /// <summary>x = mean + C^T y; components past <c>y.Length</c> count as zero.</summary>
    /// <param name="y">At most Dimension coordinates.</param>
    /// <param name="x">Receives Dimension values.</param>
    public void Reconstruct(ReadOnlySpan<float> y, Span<float> x)
    {
        CheckShape();
        ArgumentOutOfRangeException.ThrowIfGreaterThan(y.Length, Dimension, nameof(y));
        CheckLength(x.Length, Dimension, nameof(x));
        if (y.IsEmpty)
        {
            Mean.CopyTo(x);
            return;
        }

        ReconstructCore(y, y.Length, 1, x, 1);
    }

    /// <summary>
    /// Projects n = rows.Length / Dimension rows onto the first <paramref name="outputDimension"/> components with a blocked,
    /// vectorized matrix product. Each row's result equals <see cref="Project"/>'s bit for bit, whatever the parallelism.
    /// </summary>
    /// <param name="rows">n x Dimension values, row-major.</param>
    /// <param name="output">Receives n x outputDimension values, row-major (must hold at least that many).</param>
    /// <param name="outputDimension">Components kept, 1..Dimension.</param>
    /// <param name="maxDegreeOfParallelism">1 = calling thread only; more splits the rows over threads when large enough.</param>
    public void ProjectRows(ReadOnlySpan<float> rows, Span<float> output, int outputDimension, int maxDegreeOfParallelism = 1)
    {
        CheckShape();
        ArgumentOutOfRangeException.ThrowIfLessThan(outputDimension, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(outputDimension, Dimension);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDegreeOfParallelism, 1);
        if (rows.Length % Dimension != 0)
        {
            throw new ArgumentException($"rows holds {rows.Length} values, not a multiple of {Dimension}.", nameof(rows));
        }

        int n = rows.Length / Dimension;
        CheckCapacity(output.Length, (long)n * outputDimension, nameof(output));
        if (n > 0)
        {
            ProjectCore(rows, n, output, outputDimension, maxDegreeOfParallelism);
        }
    }

    /// <summary>
    /// Rebuilds n = projected.Length / projectedDimension rows: rows_r = mean + sum_i projected[r, i] C_i, as a blocked,
    /// vectorized matrix product. Each row equals <see cref="Reconstruct"/>'s bit for bit, whatever the parallelism.
    /// </summary>
    /// <param name="projected">n x projectedDimension values, row-major.</param>
    /// <param name="projectedDimension">Coordinates per row, 1..Dimension.</param>
    /// <param name="rows">Receives n x Dimension values (must hold at least that many).</param>
    /// <param name="maxDegreeOfParallelism">1 = calling thread only; more splits the rows over threads when large enough.</param>
    public void ReconstructRows(ReadOnlySpan<float> projected, int projectedDimension, Span<float> rows, int maxDegreeOfParallelism = 1)
    {
        CheckShape();
        ArgumentOutOfRangeException.ThrowIfLessThan(projectedDimension, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(projectedDimension, Dimension);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDegreeOfParallelism, 1);
        if (projected.Length % projectedDimension != 0)
        {
            throw new ArgumentException(
                $"projected holds {projected.Length} values, not a multiple of {projectedDimension}.", nameof(projected));
        }

        int n = projected.Length / projectedDimension;
        CheckCapacity(rows.Length, (long)n * Dimension, nameof(rows));
        if (n > 0)
        {
            ReconstructCore(projected, projectedDimension, n, rows, maxDegreeOfParallelism);
        }
    }

    private unsafe void ProjectCore(ReadOnlySpan<float> rows, int n, Span<float> output, int k, int maxDop)
    {
        int d = Dimension;
        SimdWidth width = SimdSupport.ForDimension(d);
        fixed (float* source = rows)
        fixed (float* target = output)
        fixed (float* mean = Mean)
        fixed (float* components = Components)
        {
            nint sourceAddress = (nint)source, targetAddress = (nint)target, meanAddress = (nint)mean, componentsAddress = (nint)components;
            int degree = (long)n * k * d >= ParallelWork ? maxDop : 1;
            ParallelChunks.For(n, ParallelRows, degree, (start, end) =>
            {
                float[] scratch = ArrayPool<float>.Shared.Rent(PcaKernels.RowBlock * d);

                // Pooled arrays come back dirty, possibly with NaN from a hostile frame decoded elsewhere in the
                // process; the kernel works in whole row blocks, so start from zeros.
                Array.Clear(scratch);
                try
                {
                    fixed (float* s = scratch)
                    {
                        PcaKernels.Project(
                            width, (float*)sourceAddress, start, end, (float*)meanAddress, (float*)componentsAddress, d, k, (float*)targetAddress, s);
                    }
                }
                finally
                {
                    ArrayPool<float>.Shared.Return(scratch);
                }
            });
        }
    }

    private unsafe void ReconstructCore(ReadOnlySpan<float> projected, int k, int n, Span<float> rows, int maxDop)
    {
        int d = Dimension;
        SimdWidth width = SimdSupport.ForDimension(d);
        fixed (float* source = projected)
        fixed (float* target = rows)
        fixed (float* mean = Mean)
        fixed (float* components = Components)
        {
            nint sourceAddress = (nint)source, targetAddress = (nint)target, meanAddress = (nint)mean, componentsAddress = (nint)components;
            int degree = (long)n * k * d >= ParallelWork ? maxDop : 1;
            ParallelChunks.For(n, ParallelRows, degree, (start, end) =>
                PcaKernels.Reconstruct(
                    width, (float*)sourceAddress, k, start, end, (float*)componentsAddress, (float*)meanAddress, d, (float*)targetAddress));
        }
    }

    private void CheckShape()
    {
        if (Dimension < 1 || Mean is null || Components is null || Mean.Length != Dimension || Components.Length != (long)Dimension * Dimension)
        {
            throw new InvalidOperationException("PcaResult needs Dimension >= 1, Dimension means and Dimension x Dimension components.");
        }
    }

    private static void CheckLength(int actual, int expected, string name)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"{name} holds {actual} values, expected {expected}.", name);
        }
    }

    private static void CheckCapacity(int actual, long needed, string name)
    {
        if (actual < needed)
        {
            throw new ArgumentException($"{name} holds {actual} values, {needed} are needed.", name);
        }
    }
}
