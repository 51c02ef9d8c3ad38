using EdgeCloudVlm.Codec.Training;

namespace EdgeCloudVlm.Codec.Tests.Training;

public sealed class PcaFitterTests
{
    [Fact]
    public void Fit_KnownCovariance_RecoversVariancesAndComponents()
    {
        const int d = 8, n = 40_000;
        double[] variances = [16, 9, 5, 3, 2, 1, 0.5, 0.1];
        double[,] rotation = RandomRotation(d, seed: 3);
        float[] mean = [1, -2, 3, 0.5f, 0, 10, -7, 2];
        var random = new Random(4);
        var data = new float[n * d];
        var z = new double[d];
        for (int p = 0; p < n; p++)
        {
            for (int i = 0; i < d; i++)
            {
                z[i] = Math.Sqrt(variances[i]) * TrainingTestData.NextGaussian(random);
            }

            for (int j = 0; j < d; j++)
            {
                double value = mean[j];
                for (int i = 0; i < d; i++)
                {
                    value += rotation[i, j] * z[i];
                }

                data[(p * d) + j] = (float)value;
            }
        }

        PcaResult pca = PcaFitter.Fit(data, d);

        Assert.Equal(d, pca.Dimension);
        for (int i = 0; i < d; i++)
        {
            Assert.InRange(pca.Variances[i], variances[i] * 0.95, variances[i] * 1.05);
            Assert.InRange(pca.Mean[i], mean[i] - 0.05, mean[i] + 0.05);
            double alignment = 0;
            for (int j = 0; j < d; j++)
            {
                alignment += pca.Components[(i * d) + j] * rotation[i, j];
            }

            // Well-separated variances pin each component down up to sign.
            Assert.True(Math.Abs(alignment) > 0.98, $"component {i} alignment {alignment}");
        }
    }

    [Fact]
    public void ProjectThenReconstruct_FullDimension_IsIdentity()
    {
        const int d = 16;
        float[] data = RandomData(500, d, seed: 1);
        PcaResult pca = PcaFitter.Fit(data, d);
        var y = new float[d];
        var back = new float[d];

        for (int p = 0; p < 20; p++)
        {
            ReadOnlySpan<float> x = data.AsSpan(p * d, d);
            pca.Project(x, y);
            pca.Reconstruct(y, back);
            for (int j = 0; j < d; j++)
            {
                Assert.True(Math.Abs(back[j] - x[j]) <= 1e-4 * (1 + Math.Abs(x[j])), $"row {p} dim {j}: {back[j]} vs {x[j]}");
            }
        }
    }

    [Theory]
    [InlineData(256, 1)]
    [InlineData(256, 2)]
    [InlineData(37, 2)]
    public void Fit_HighDimension_GivesOrthonormalSortedComponents(int d, int rowsPerDimension)
    {
        float[] data = RandomData(d * rowsPerDimension * 4, d, seed: d);

        PcaResult pca = PcaFitter.Fit(data, d);

        for (int i = 1; i < d; i++)
        {
            Assert.True(pca.Variances[i] <= pca.Variances[i - 1]);
        }

        for (int i = 0; i < d; i += 17)
        {
            for (int j = 0; j < d; j += 13)
            {
                double dot = 0;
                for (int c = 0; c < d; c++)
                {
                    dot += (double)pca.Components[(i * d) + c] * pca.Components[(j * d) + c];
                }

                Assert.True(Math.Abs(dot - (i == j ? 1 : 0)) < 1e-5, $"components {i}, {j}: {dot}");
            }
        }

        // Total variance is preserved: sum of eigenvalues = trace of the covariance.
        int n = data.Length / d;
        double trace = 0;
        for (int j = 0; j < d; j++)
        {
            double sum = 0, sumSquares = 0;
            for (int p = 0; p < n; p++)
            {
                double v = data[(p * d) + j];
                sum += v;
                sumSquares += v * v;
            }

            trace += (sumSquares - (sum * sum / n)) / (n - 1);
        }

        Assert.Equal(trace, pca.Variances.Sum(), trace * 1e-6);
    }

    [Fact]
    public void ProjectRows_MatchesProjectBitForBitAtAnyParallelism()
    {
        const int d = 70, n = 301, k = 33;
        float[] data = RandomData(n, d, seed: 5);
        PcaResult pca = PcaFitter.Fit(data, d);
        var sequential = new float[n * k];
        var parallel = new float[n * k];

        pca.ProjectRows(data, sequential, k, 1);
        pca.ProjectRows(data, parallel, k, 2);

        Assert.Equal(sequential, parallel);
        var single = new float[k];
        for (int p = 0; p < n; p += 7)
        {
            pca.Project(data.AsSpan(p * d, d), single);
            Assert.Equal(single, sequential.AsSpan(p * k, k).ToArray());
        }
    }

    [Fact]
    public void ReconstructRows_MatchesReconstructBitForBitAtAnyParallelism()
    {
        const int d = 70, n = 301, k = 21;
        PcaResult pca = PcaFitter.Fit(RandomData(n, d, seed: 6), d);
        float[] projected = RandomData(n, k, seed: 7);
        var sequential = new float[n * d];
        var parallel = new float[n * d];

        pca.ReconstructRows(projected, k, sequential, 1);
        pca.ReconstructRows(projected, k, parallel, 2);

        Assert.Equal(sequential, parallel);
        var single = new float[d];
        for (int p = 0; p < n; p += 5)
        {
            pca.Reconstruct(projected.AsSpan(p * k, k), single);
            Assert.Equal(single, sequential.AsSpan(p * d, d).ToArray());
        }
    }

    [Fact]
    public void ReconstructRows_TruncatedProjection_EqualsMeanPlusLeadingComponents()
    {
        const int d = 12, k = 3;
        PcaResult pca = PcaFitter.Fit(RandomData(200, d, seed: 8), d);
        float[] y = [2f, -1f, 0.5f];
        var x = new float[d];

        pca.ReconstructRows(y, k, x);

        for (int j = 0; j < d; j++)
        {
            double expected = pca.Mean[j];
            for (int i = 0; i < k; i++)
            {
                expected += y[i] * pca.Components[(i * d) + j];
            }

            Assert.Equal(expected, x[j], 1e-5);
        }
    }

    [Fact]
    public void Reconstruct_EmptyCoordinates_ReturnsMean()
    {
        PcaResult pca = PcaFitter.Fit(RandomData(50, 4, seed: 9), 4);
        var x = new float[4];

        pca.Reconstruct(ReadOnlySpan<float>.Empty, x);

        Assert.Equal(pca.Mean, x);
    }

    [Fact]
    public void Fit_SingleRow_HasZeroVariances()
    {
        PcaResult pca = PcaFitter.Fit([1f, 2f, 3f], 3);

        Assert.Equal([1f, 2f, 3f], pca.Mean);
        Assert.All(pca.Variances, v => Assert.Equal(0, v));
    }

    [Fact]
    public void Fit_InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentException>(() => PcaFitter.Fit([1f, 2f, 3f], 2));
        Assert.Throws<ArgumentException>(() => PcaFitter.Fit([], 2));
        Assert.Throws<ArgumentException>(() => PcaFitter.Fit([1f, float.NaN], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => PcaFitter.Fit([1f], 0));
    }

    [Fact]
    public void Fit_Cancelled_Throws()
    {
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => PcaFitter.Fit(RandomData(100, 8, seed: 1), 8, cancellation.Token));
    }

    [Fact]
    public void ProjectionMethods_BadShapes_Throw()
    {
        PcaResult pca = PcaFitter.Fit(RandomData(20, 4, seed: 2), 4);
        Assert.Throws<ArgumentException>(() => pca.Project(new float[3], new float[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => pca.Project(new float[4], new float[5]));
        Assert.Throws<ArgumentOutOfRangeException>(() => pca.ProjectRows(new float[8], new float[10], 5));
        Assert.Throws<ArgumentException>(() => pca.ProjectRows(new float[8], new float[3], 2));
        Assert.Throws<ArgumentException>(() => pca.ReconstructRows(new float[5], 2, new float[12]));
        Assert.Throws<ArgumentException>(() => pca.ReconstructRows(new float[4], 2, new float[7]));
    }

    private static float[] RandomData(int n, int d, int seed)
    {
        var random = new Random(seed);
        var data = new float[n * d];
        for (int i = 0; i < data.Length; i++)
        {
            // Unequal scales per column so the spectrum is spread out.
            data[i] = (float)(TrainingTestData.NextGaussian(random) * (1 + (i % d % 5)));
        }

        return data;
    }

    /// <summary>Orthonormal rows from Gram-Schmidt on a Gaussian matrix.</summary>
    private static double[,] RandomRotation(int d, int seed)
    {
        var random = new Random(seed);
        var q = new double[d, d];
        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j < d; j++)
            {
                q[i, j] = TrainingTestData.NextGaussian(random);
            }

            for (int prev = 0; prev < i; prev++)
            {
                double dot = 0;
                for (int j = 0; j < d; j++)
                {
                    dot += q[i, j] * q[prev, j];
                }

                for (int j = 0; j < d; j++)
                {
                    q[i, j] -= dot * q[prev, j];
                }
            }

            double norm = 0;
            for (int j = 0; j < d; j++)
            {
                norm += q[i, j] * q[i, j];
            }

            norm = Math.Sqrt(norm);
            for (int j = 0; j < d; j++)
            {
                q[i, j] /= norm;
            }
        }

        return q;
    }
}
