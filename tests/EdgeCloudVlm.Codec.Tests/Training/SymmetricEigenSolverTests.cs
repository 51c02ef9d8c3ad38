using EdgeCloudVlm.Codec.Training;

namespace EdgeCloudVlm.Codec.Tests.Training;

public sealed class SymmetricEigenSolverTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(50)]
    [InlineData(130)]
    public void Decompose_RandomSymmetric_SatisfiesEigenEquation(int n)
    {
        double[] matrix = RandomSymmetric(n, seed: n);
        var (values, vectors) = Decompose(matrix, n, 2);

        double scale = 0;
        foreach (double v in matrix)
        {
            scale = Math.Max(scale, Math.Abs(v));
        }

        for (int i = 0; i < n; i++)
        {
            if (i > 0)
            {
                Assert.True(values[i] <= values[i - 1]);
            }

            for (int r = 0; r < n; r++)
            {
                double av = 0;
                for (int c = 0; c < n; c++)
                {
                    av += matrix[(r * n) + c] * vectors[(i * n) + c];
                }

                Assert.True(Math.Abs(av - (values[i] * vectors[(i * n) + r])) <= 1e-10 * n * scale, $"residual of pair {i}, row {r}");
            }
        }

        AssertOrthonormal(vectors, n, 1e-10);
    }

    [Fact]
    public void Decompose_Diagonal_ReturnsSortedDiagonalAndUnitVectors()
    {
        double[] matrix = [2, 0, 0, 0, -1, 0, 0, 0, 5];
        var (values, vectors) = Decompose(matrix, 3, 1);

        Assert.Equal([5.0, 2.0, -1.0], values);
        Assert.Equal([0.0, 0, 1, 1, 0, 0, 0, 1, 0], vectors);
    }

    [Fact]
    public void Decompose_RepeatedEigenvalues_GivesOrthonormalBasis()
    {
        const int n = 40;
        var matrix = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            matrix[(i * n) + i] = i < 20 ? 3 : 1;
        }

        // Rotate with a Householder reflection so the matrix is dense but keeps the repeated eigenvalues.
        var random = new Random(1);
        var v = new double[n];
        double norm = 0;
        for (int i = 0; i < n; i++)
        {
            v[i] = random.NextDouble() - 0.5;
            norm += v[i] * v[i];
        }

        var h = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                h[(i * n) + j] = (i == j ? 1 : 0) - (2 * v[i] * v[j] / norm);
            }
        }

        double[] dense = Multiply(Multiply(h, matrix, n), h, n);
        var (values, vectors) = Decompose(dense, n, 2);

        for (int i = 0; i < n; i++)
        {
            Assert.Equal(i < 20 ? 3 : 1, values[i], 1e-10);
        }

        AssertOrthonormal(vectors, n, 1e-10);
    }

    [Fact]
    public void Decompose_Parallelism_BitIdentical()
    {
        const int n = 150;
        double[] matrix = RandomSymmetric(n, seed: 99);

        var (values1, vectors1) = Decompose(matrix, n, 1);
        var (values2, vectors2) = Decompose(matrix, n, 2);

        Assert.Equal(values1, values2);
        Assert.Equal(vectors1, vectors2);
    }

    [Fact]
    public void Decompose_Cancelled_Throws()
    {
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(
            () => SymmetricEigenSolver.Decompose(RandomSymmetric(10, 1), 10, new double[10], new double[100], 1, cancellation.Token));
    }

    private static (double[] Values, double[] Vectors) Decompose(double[] matrix, int n, int parallelism)
    {
        var values = new double[n];
        var vectors = new double[n * n];
        SymmetricEigenSolver.Decompose((double[])matrix.Clone(), n, values, vectors, parallelism, CancellationToken.None);
        return (values, vectors);
    }

    private static double[] RandomSymmetric(int n, int seed)
    {
        var random = new Random(seed);
        var matrix = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                double value = (random.NextDouble() * 2) - 1;
                matrix[(i * n) + j] = value;
                matrix[(j * n) + i] = value;
            }
        }

        return matrix;
    }

    private static double[] Multiply(double[] a, double[] b, int n)
    {
        var result = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < n; k++)
            {
                for (int j = 0; j < n; j++)
                {
                    result[(i * n) + j] += a[(i * n) + k] * b[(k * n) + j];
                }
            }
        }

        return result;
    }

    private static void AssertOrthonormal(double[] vectors, int n, double tolerance)
    {
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                double dot = 0;
                for (int c = 0; c < n; c++)
                {
                    dot += vectors[(i * n) + c] * vectors[(j * n) + c];
                }

                Assert.True(Math.Abs(dot - (i == j ? 1 : 0)) <= tolerance * n, $"rows {i} and {j}: {dot}");
            }
        }
    }
}
