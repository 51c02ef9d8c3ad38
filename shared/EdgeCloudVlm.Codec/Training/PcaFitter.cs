using System.Numerics.Tensors;

namespace EdgeCloudVlm.Codec.Training;

/// <summary>Fits a <see cref="PcaResult"/> to calibration data.</summary>
public static class PcaFitter
{
    private const int MeanChunk = 4096;
    private const int CovarianceBlock = 64;
    private const int CovarianceRowChunk = 8;

    /// <summary>
    /// Mean and sample covariance (divided by count - 1) accumulated in double, then a symmetric eigen-decomposition
    /// (Householder tridiagonalization + implicit QL). Parallel over all cores yet deterministic: every sum runs in a fixed order.
    /// Components are signed so that each one's largest-magnitude entry is positive.
    /// </summary>
    /// <param name="data">count x dimension finite values, row-major; count at least 1 (one row gives zero variances).</param>
    /// <param name="dimension">Length of each row.</param>
    /// <param name="cancellationToken">Checked between blocks of work.</param>
    /// <exception cref="ArgumentException">The data is empty, not a multiple of the dimension, or not finite.</exception>
    /// <exception cref="OperationCanceledException">Cancellation was requested.</exception>
    public static unsafe PcaResult Fit(ReadOnlySpan<float> data, int dimension, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dimension, 32768);
        if (data.IsEmpty || data.Length % dimension != 0)
        {
            throw new ArgumentException(
                $"data must hold a positive multiple of the dimension {dimension} values, got {data.Length}.", nameof(data));
        }

        if (!TensorPrimitives.IsFiniteAll(data))
        {
            throw new ArgumentException("data contains NaN or infinite values.", nameof(data));
        }

        int n = data.Length / dimension;
        int maxDop = Environment.ProcessorCount;
        var covariance = new double[(long)dimension * dimension];
        double[] mean;
        fixed (float* x = data)
        {
            mean = ComputeMean(x, n, dimension, maxDop, cancellationToken);
            AccumulateCovariance(x, n, dimension, mean, covariance, maxDop, cancellationToken);
        }

        double scale = n > 1 ? 1.0 / (n - 1) : 0;
        for (int i = 0; i < dimension; i++)
        {
            for (int j = i; j < dimension; j++)
            {
                double value = covariance[((long)i * dimension) + j] * scale;
                covariance[((long)i * dimension) + j] = value;
                covariance[((long)j * dimension) + i] = value;
            }
        }

        var eigenvalues = new double[dimension];
        var eigenvectors = new double[(long)dimension * dimension];
        SymmetricEigenSolver.Decompose(covariance, dimension, eigenvalues, eigenvectors, maxDop, cancellationToken);

        var components = new float[eigenvectors.Length];
        for (long i = 0; i < components.Length; i++)
        {
            components[i] = (float)eigenvectors[i];
        }

        var meanFloat = new float[dimension];
        var variances = new double[dimension];
        for (int i = 0; i < dimension; i++)
        {
            meanFloat[i] = (float)mean[i];
            variances[i] = Math.Max(0, eigenvalues[i]);
        }

        return new PcaResult(meanFloat, components, variances, dimension);
    }

    private static unsafe double[] ComputeMean(float* x, int n, int d, int maxDop, CancellationToken cancellationToken)
    {
        int chunks = ParallelChunks.ChunkCount(n, MeanChunk);
        var partial = new double[(long)chunks * d];
        nint address = (nint)x;
        ParallelChunks.For(n, MeanChunk, (long)n * d >= 1 << 18 ? maxDop : 1, (start, end) =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            Span<double> sums = partial.AsSpan(start / MeanChunk * d, d);
            for (int r = start; r < end; r++)
            {
                float* row = (float*)address + ((nint)r * d);
                for (int j = 0; j < d; j++)
                {
                    sums[j] += row[j];
                }
            }
        });

        var mean = new double[d];
        for (int c = 0; c < chunks; c++)
        {
            for (int j = 0; j < d; j++)
            {
                mean[j] += partial[((long)c * d) + j];
            }
        }

        for (int j = 0; j < d; j++)
        {
            mean[j] /= n;
        }

        return mean;
    }

    /// <summary>
    /// Upper triangle of sum (x - mean)(x - mean)^T. Rows are centred a block at a time into a transposed buffer so each
    /// entry's block contribution is one contiguous dot product; threads split the rows of the triangle, and every entry
    /// adds its block contributions in block order.
    /// </summary>
    private static unsafe void AccumulateCovariance(
        float* x, int n, int d, double[] mean, double[] covariance, int maxDop, CancellationToken cancellationToken)
    {
        var centred = new double[(long)d * CovarianceBlock];
        int degree = d >= 32 ? maxDop : 1;
        fixed (double* yt = centred)
        fixed (double* cov = covariance)
        {
            nint ytAddress = (nint)yt;
            nint covAddress = (nint)cov;
            for (int r0 = 0; r0 < n; r0 += CovarianceBlock)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int m = Math.Min(CovarianceBlock, n - r0);
                for (int r = 0; r < m; r++)
                {
                    float* row = x + ((nint)(r0 + r) * d);
                    for (int j = 0; j < d; j++)
                    {
                        yt[((nint)j * CovarianceBlock) + r] = row[j] - mean[j];
                    }
                }

                ParallelChunks.For(d, CovarianceRowChunk, degree, (i0, i1) =>
                {
                    double* columns = (double*)ytAddress;
                    double* four = stackalloc double[4];
                    for (int i = i0; i < i1; i++)
                    {
                        double* yi = columns + ((nint)i * CovarianceBlock);
                        double* target = (double*)covAddress + ((nint)i * d);
                        int j = i;
                        for (; j + 4 <= d; j += 4)
                        {
                            double* yj = columns + ((nint)j * CovarianceBlock);
                            DoubleKernels.Dot4(yi, yj, yj + CovarianceBlock, yj + (2 * CovarianceBlock), yj + (3 * CovarianceBlock), m, four);
                            target[j] += four[0];
                            target[j + 1] += four[1];
                            target[j + 2] += four[2];
                            target[j + 3] += four[3];
                        }

                        for (; j < d; j++)
                        {
                            target[j] += DoubleKernels.Dot(yi, columns + ((nint)j * CovarianceBlock), m);
                        }
                    }
                });
            }
        }
    }
}
