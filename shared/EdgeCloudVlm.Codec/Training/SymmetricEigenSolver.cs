namespace EdgeCloudVlm.Codec.Training;

/// <summary>
/// Eigen-decomposition of a real symmetric matrix: Householder reduction to tridiagonal form, then the implicit QL method
/// with Wilkinson-style shifts. The QL plane rotations are logged and applied to the eigenvector rows in batches, split over
/// column slices, so the O(n^3) part is vectorized and parallel while every value is computed in the same order regardless
/// of the thread count.
/// </summary>
internal static unsafe class SymmetricEigenSolver
{
    private const double Epsilon = 2.220446049250313e-16;
    private const int MaxSweepsPerEigenvalue = 64;
    private const int ParallelSize = 96;
    private const int RowChunk = 16;
    private const int ColumnSlice = 32;
    private const int RotationBatch = 1 << 16;

    /// <summary>
    /// Decomposes the symmetric n x n <paramref name="matrix"/> (row-major, destroyed) into eigenvalues sorted in decreasing
    /// order and unit eigenvectors, row i of <paramref name="vectors"/> belonging to eigenvalue i, each signed so that its
    /// largest-magnitude entry is positive.
    /// </summary>
    /// <exception cref="InvalidOperationException">The QL iteration did not converge (non-finite input).</exception>
    public static void Decompose(
        double[] matrix, int n, double[] eigenvalues, double[] vectors, int maxDegreeOfParallelism, CancellationToken cancellationToken)
    {
        var diagonal = new double[n];
        var offDiagonal = new double[n];
        var betas = new double[n];
        Tridiagonalize(matrix, n, diagonal, offDiagonal, betas, maxDegreeOfParallelism, cancellationToken);

        var q = new double[(long)n * n];
        AccumulateTransform(matrix, n, betas, q, maxDegreeOfParallelism, cancellationToken);
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                vectors[(i * n) + j] = q[(j * n) + i];
            }
        }

        SolveTridiagonal(diagonal, offDiagonal, n, vectors, maxDegreeOfParallelism, cancellationToken);
        SortAndNormalize(diagonal, vectors, n, eigenvalues);
    }

    /// <summary>
    /// Reduces the matrix to tridiagonal form T = H_{n-3}..H_0 A H_0..H_{n-3}. Step k's Householder vector v (H = I - beta v v^T)
    /// is left in row k to the right of the diagonal, beta in <paramref name="betas"/>; rows below k are updated by the
    /// symmetric rank-2 formula B -= v w^T + w v^T.
    /// </summary>
    private static void Tridiagonalize(
        double[] matrix, int n, double[] diagonal, double[] offDiagonal, double[] betas, int maxDop, CancellationToken cancellationToken)
    {
        var p = new double[n];
        fixed (double* a = matrix)
        fixed (double* pp = p)
        {
            nint aAddress = (nint)a;
            nint pAddress = (nint)pp;
            for (int k = 0; k < n - 2; k++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                double* rowK = a + ((nint)k * n);
                int m = n - k - 1;
                double* v = rowK + k + 1;
                diagonal[k] = rowK[k];
                double tail = DoubleKernels.Dot(v + 1, v + 1, m - 1);
                if (tail == 0)
                {
                    offDiagonal[k] = v[0];
                    betas[k] = 0;
                    continue;
                }

                double x0 = v[0];
                double norm = Math.Sqrt((x0 * x0) + tail);
                double alpha = x0 > 0 ? -norm : norm;
                v[0] = x0 - alpha;
                double beta = 2 / ((v[0] * v[0]) + tail);
                offDiagonal[k] = alpha;
                betas[k] = beta;

                int offset = k + 1;
                nint vAddress = (nint)v;
                int degree = m >= ParallelSize ? maxDop : 1;
                ParallelChunks.For(m, RowChunk, degree, (r0, r1) =>
                {
                    double* block = (double*)aAddress;
                    double* vv = (double*)vAddress;
                    double* pv = (double*)pAddress;
                    double* four = stackalloc double[4];
                    int r = r0;
                    for (; r + 4 <= r1; r += 4)
                    {
                        double* row = block + ((nint)(offset + r) * n) + offset;
                        DoubleKernels.Dot4(vv, row, row + n, row + (2 * n), row + (3 * n), m, four);
                        pv[r] = beta * four[0];
                        pv[r + 1] = beta * four[1];
                        pv[r + 2] = beta * four[2];
                        pv[r + 3] = beta * four[3];
                    }

                    for (; r < r1; r++)
                    {
                        pv[r] = beta * DoubleKernels.Dot(vv, block + ((nint)(offset + r) * n) + offset, m);
                    }
                });

                // w = p - (beta/2)(v.p) v, kept in p.
                double half = beta / 2 * DoubleKernels.Dot(v, pp, m);
                for (int r = 0; r < m; r++)
                {
                    pp[r] -= half * v[r];
                }

                ParallelChunks.For(m, RowChunk, degree, (r0, r1) =>
                {
                    double* block = (double*)aAddress;
                    double* vv = (double*)vAddress;
                    double* w = (double*)pAddress;
                    for (int r = r0; r < r1; r++)
                    {
                        DoubleKernels.SubtractRank2(block + ((nint)(offset + r) * n) + offset, vv[r], w, w[r], vv, m);
                    }
                });
            }

            if (n >= 2)
            {
                diagonal[n - 2] = a[((nint)(n - 2) * n) + n - 2];
                offDiagonal[n - 2] = a[((nint)(n - 2) * n) + n - 1];
            }

            diagonal[n - 1] = a[((nint)(n - 1) * n) + n - 1];
            offDiagonal[n - 1] = 0;
        }
    }

    /// <summary>
    /// Forms Q = H_0 H_1 .. H_{n-3} by applying the reflections right to left to the identity; at step k only rows and
    /// columns k+1.. differ from the identity, which keeps the cost at (4/3) n^3.
    /// </summary>
    private static void AccumulateTransform(double[] matrix, int n, double[] betas, double[] q, int maxDop, CancellationToken cancellationToken)
    {
        var u = new double[n];
        for (int i = 0; i < n; i++)
        {
            q[((long)i * n) + i] = 1;
        }

        fixed (double* a = matrix)
        fixed (double* qq = q)
        fixed (double* uu = u)
        {
            nint qAddress = (nint)qq;
            nint uAddress = (nint)uu;
            for (int k = n - 3; k >= 0; k--)
            {
                cancellationToken.ThrowIfCancellationRequested();
                double beta = betas[k];
                if (beta == 0)
                {
                    continue;
                }

                int m = n - k - 1;
                int offset = k + 1;
                nint vAddress = (nint)(a + ((nint)k * n) + offset);
                int degree = m >= ParallelSize ? maxDop : 1;

                // u = beta v^T Q[offset.., offset..], summed row by row so each entry is accumulated in row order.
                ParallelChunks.For(m, ColumnSlice, degree, (c0, c1) =>
                {
                    double* v = (double*)vAddress;
                    double* target = (double*)uAddress + c0;
                    double* block = (double*)qAddress + ((nint)offset * n) + offset + c0;
                    new Span<double>(target, c1 - c0).Clear();
                    for (int r = 0; r < m; r++)
                    {
                        DoubleKernels.AddScaled(target, v[r], block + ((nint)r * n), c1 - c0);
                    }

                    for (int c = 0; c < c1 - c0; c++)
                    {
                        target[c] *= beta;
                    }
                });

                ParallelChunks.For(m, RowChunk, degree, (r0, r1) =>
                {
                    double* v = (double*)vAddress;
                    double* block = (double*)qAddress + ((nint)offset * n) + offset;
                    for (int r = r0; r < r1; r++)
                    {
                        DoubleKernels.AddScaled(block + ((nint)r * n), -v[r], (double*)uAddress, m);
                    }
                });
            }
        }
    }

    /// <summary>
    /// Implicit QL on the tridiagonal (d, e), e[i] coupling i and i+1. Each rotation is logged and later applied to rows
    /// i and i+1 of <paramref name="vectors"/> (the transposed eigenvector matrix).
    /// </summary>
    private static void SolveTridiagonal(double[] d, double[] e, int n, double[] vectors, int maxDop, CancellationToken cancellationToken)
    {
        var log = new RotationLog(vectors, n, maxDop);
        for (int l = 0; l < n; l++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int sweeps = 0;
            while (true)
            {
                int m = l;
                for (; m < n - 1; m++)
                {
                    double scale = Math.Abs(d[m]) + Math.Abs(d[m + 1]);
                    if (Math.Abs(e[m]) <= Epsilon * scale)
                    {
                        break;
                    }
                }

                if (m == l)
                {
                    break;
                }

                if (++sweeps > MaxSweepsPerEigenvalue)
                {
                    throw new InvalidOperationException("The symmetric eigen-decomposition did not converge.");
                }

                // Shift from the leading 2x2 block, chosen to be the eigenvalue closer to d[l].
                double g = (d[l + 1] - d[l]) / (2 * e[l]);
                double r = Hypot(g, 1);
                g = d[m] - d[l] + (e[l] / (g + Math.CopySign(r, g)));
                double s = 1, c = 1, p = 0;
                bool deflated = false;
                for (int i = m - 1; i >= l; i--)
                {
                    double f = s * e[i];
                    double b = c * e[i];
                    r = Hypot(f, g);
                    e[i + 1] = r;
                    if (r == 0)
                    {
                        // Underflow: the matrix split at i; restart the search for l.
                        d[i + 1] -= p;
                        e[m] = 0;
                        deflated = true;
                        break;
                    }

                    s = f / r;
                    c = g / r;
                    g = d[i + 1] - p;
                    r = ((d[i] - g) * s) + (2 * c * b);
                    p = s * r;
                    d[i + 1] = g + p;
                    g = (c * r) - b;
                    log.Add(i, c, s);
                }

                if (deflated)
                {
                    continue;
                }

                d[l] -= p;
                e[l] = g;
                e[m] = 0;
            }
        }

        log.Flush();
    }

    private static double Hypot(double a, double b)
    {
        a = Math.Abs(a);
        b = Math.Abs(b);
        if (a < b)
        {
            (a, b) = (b, a);
        }

        if (a == 0)
        {
            return 0;
        }

        double t = b / a;
        return a * Math.Sqrt(1 + (t * t));
    }

    private static void SortAndNormalize(double[] values, double[] vectors, int n, double[] eigenvalues)
    {
        var order = new int[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (x, y) =>
        {
            int byValue = values[y].CompareTo(values[x]);
            return byValue != 0 ? byValue : x.CompareTo(y);
        });

        var sorted = new double[(long)n * n];
        for (int i = 0; i < n; i++)
        {
            eigenvalues[i] = values[order[i]];
            Span<double> target = sorted.AsSpan(i * n, n);
            vectors.AsSpan(order[i] * n, n).CopyTo(target);
            int largest = 0;
            for (int j = 1; j < n; j++)
            {
                if (Math.Abs(target[j]) > Math.Abs(target[largest]))
                {
                    largest = j;
                }
            }

            if (target[largest] < 0)
            {
                for (int j = 0; j < n; j++)
                {
                    target[j] = -target[j];
                }
            }
        }

        sorted.CopyTo(vectors, 0);
    }

    /// <summary>Buffers QL rotations and applies them in order to the eigenvector rows, column slices in parallel.</summary>
    private sealed class RotationLog(double[] vectors, int n, int maxDop)
    {
        private readonly int[] _rows = new int[RotationBatch];
        private readonly double[] _cosines = new double[RotationBatch];
        private readonly double[] _sines = new double[RotationBatch];
        private int _count;

        public void Add(int row, double cosine, double sine)
        {
            _rows[_count] = row;
            _cosines[_count] = cosine;
            _sines[_count] = sine;
            if (++_count == RotationBatch)
            {
                Flush();
            }
        }

        public void Flush()
        {
            int count = _count;
            if (count == 0)
            {
                return;
            }

            int degree = n >= ParallelSize ? maxDop : 1;
            ParallelChunks.For(n, ColumnSlice, degree, (c0, c1) =>
            {
                fixed (double* z = vectors)
                {
                    for (int t = 0; t < count; t++)
                    {
                        double* x = z + ((nint)_rows[t] * n) + c0;
                        DoubleKernels.Rotate(x, x + n, _cosines[t], _sines[t], c1 - c0);
                    }
                }
            });

            _count = 0;
        }
    }
}
