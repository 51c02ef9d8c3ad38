namespace EdgeCloudVlm.Onnx;

/// <summary>
/// Parameters of one pre-LayerNorm ViT encoder block. Projection matrices are row-major <c>[in, out]</c>, so a
/// projection is <c>x · W + b</c> (the layout ONNX MatMul expects, the transpose of PyTorch's Linear weight).
/// </summary>
public sealed class VitBlockWeights
{
    /// <summary>Standard deviation of random weights used by <see cref="VitBlockModel.Create(int, int, int, int, int)"/>.</summary>
    public const float DefaultStandardDeviation = 0.02f;

    private VitBlockWeights(int dim, int mlpDim)
    {
        Dim = dim;
        MlpDim = mlpDim;
        Ln1Scale = new float[dim];
        Ln1Bias = new float[dim];
        QueryWeight = new float[dim * dim];
        QueryBias = new float[dim];
        KeyWeight = new float[dim * dim];
        KeyBias = new float[dim];
        ValueWeight = new float[dim * dim];
        ValueBias = new float[dim];
        OutputWeight = new float[dim * dim];
        OutputBias = new float[dim];
        Ln2Scale = new float[dim];
        Ln2Bias = new float[dim];
        Fc1Weight = new float[dim * mlpDim];
        Fc1Bias = new float[mlpDim];
        Fc2Weight = new float[mlpDim * dim];
        Fc2Bias = new float[dim];
    }

    /// <summary>Width of the residual stream.</summary>
    public int Dim { get; }

    /// <summary>Hidden width of the MLP.</summary>
    public int MlpDim { get; }

    /// <summary>First LayerNorm scale, <c>[dim]</c>.</summary>
    public float[] Ln1Scale { get; }

    /// <summary>First LayerNorm bias, <c>[dim]</c>.</summary>
    public float[] Ln1Bias { get; }

    /// <summary>Query projection, <c>[dim, dim]</c>.</summary>
    public float[] QueryWeight { get; }

    /// <summary>Query bias, <c>[dim]</c>.</summary>
    public float[] QueryBias { get; }

    /// <summary>Key projection, <c>[dim, dim]</c>.</summary>
    public float[] KeyWeight { get; }

    /// <summary>Key bias, <c>[dim]</c>.</summary>
    public float[] KeyBias { get; }

    /// <summary>Value projection, <c>[dim, dim]</c>.</summary>
    public float[] ValueWeight { get; }

    /// <summary>Value bias, <c>[dim]</c>.</summary>
    public float[] ValueBias { get; }

    /// <summary>Attention output projection, <c>[dim, dim]</c>.</summary>
    public float[] OutputWeight { get; }

    /// <summary>Attention output bias, <c>[dim]</c>.</summary>
    public float[] OutputBias { get; }

    /// <summary>Second LayerNorm scale, <c>[dim]</c>.</summary>
    public float[] Ln2Scale { get; }

    /// <summary>Second LayerNorm bias, <c>[dim]</c>.</summary>
    public float[] Ln2Bias { get; }

    /// <summary>First MLP projection, <c>[dim, mlpDim]</c>.</summary>
    public float[] Fc1Weight { get; }

    /// <summary>First MLP bias, <c>[mlpDim]</c>.</summary>
    public float[] Fc1Bias { get; }

    /// <summary>Second MLP projection, <c>[mlpDim, dim]</c>.</summary>
    public float[] Fc2Weight { get; }

    /// <summary>Second MLP bias, <c>[dim]</c>.</summary>
    public float[] Fc2Bias { get; }

    /// <summary>
    /// Draws deterministic random parameters: every matrix and bias ~ N(0, std²), LayerNorm scales ~ 1 + N(0, std²)
    /// and LayerNorm biases ~ N(0, std²). The same arguments always give the same values.
    /// </summary>
    /// <param name="dim">Width of the residual stream.</param>
    /// <param name="mlpDim">Hidden width of the MLP.</param>
    /// <param name="seed">Random seed.</param>
    /// <param name="standardDeviation">Standard deviation of the normal draws.</param>
    /// <returns>The parameters.</returns>
    public static VitBlockWeights Random(int dim, int mlpDim, int seed, float standardDeviation = DefaultStandardDeviation)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dim, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(mlpDim, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(standardDeviation);
        var weights = new VitBlockWeights(dim, mlpDim);
        var normal = new NormalSource(seed, standardDeviation);

        // The fill order is part of the determinism contract: changing it changes every generated model.
        normal.Fill(weights.Ln1Scale, 1f);
        normal.Fill(weights.Ln1Bias, 0f);
        normal.Fill(weights.QueryWeight, 0f);
        normal.Fill(weights.QueryBias, 0f);
        normal.Fill(weights.KeyWeight, 0f);
        normal.Fill(weights.KeyBias, 0f);
        normal.Fill(weights.ValueWeight, 0f);
        normal.Fill(weights.ValueBias, 0f);
        normal.Fill(weights.OutputWeight, 0f);
        normal.Fill(weights.OutputBias, 0f);
        normal.Fill(weights.Ln2Scale, 1f);
        normal.Fill(weights.Ln2Bias, 0f);
        normal.Fill(weights.Fc1Weight, 0f);
        normal.Fill(weights.Fc1Bias, 0f);
        normal.Fill(weights.Fc2Weight, 0f);
        normal.Fill(weights.Fc2Bias, 0f);
        return weights;
    }

    /// <summary>Normal deviates by the Box–Muller transform over <see cref="System.Random"/>'s seeded generator.</summary>
    private sealed class NormalSource(int seed, float standardDeviation)
    {
        // A seeded System.Random uses the same legacy algorithm on every .NET version, so sequences are stable.
        private readonly Random _uniform = new(seed);
        private double _spare;
        private bool _hasSpare;

        public void Fill(Span<float> destination, float mean)
        {
            for (int i = 0; i < destination.Length; i++)
            {
                destination[i] = (float)(mean + (standardDeviation * Next()));
            }
        }

        private double Next()
        {
            if (_hasSpare)
            {
                _hasSpare = false;
                return _spare;
            }

            double u1 = 1.0 - _uniform.NextDouble(); // (0, 1]: keeps the logarithm finite
            double u2 = _uniform.NextDouble();
            double radius = Math.Sqrt(-2.0 * Math.Log(u1));
            (double sin, double cos) = Math.SinCos(2.0 * Math.PI * u2);
            _spare = radius * sin;
            _hasSpare = true;
            return radius * cos;
        }
    }
}
