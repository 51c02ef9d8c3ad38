namespace EdgeCloudVlm.Onnx.Tests.Support;

/// <summary>
/// A deliberately plain, double-precision implementation of the pre-LN ViT block, written from the formula and not
/// from the ONNX graph, so that agreement checks the graph's wiring.
/// </summary>
internal static class VitBlockReference
{
    public static float[] Compute(Func<string, float[]> weight, float[] x, int batch, int tokens, int dim, int heads, int mlp)
    {
        var y = new float[x.Length];
        for (int b = 0; b < batch; b++)
        {
            double[,] input = new double[tokens, dim];
            for (int t = 0; t < tokens; t++)
            {
                for (int d = 0; d < dim; d++)
                {
                    input[t, d] = x[(((b * tokens) + t) * dim) + d];
                }
            }

            double[,] output = Block(weight, input, heads, mlp);
            for (int t = 0; t < tokens; t++)
            {
                for (int d = 0; d < dim; d++)
                {
                    y[(((b * tokens) + t) * dim) + d] = (float)output[t, d];
                }
            }
        }

        return y;
    }

    private static double[,] Block(Func<string, float[]> weight, double[,] x, int heads, int mlp)
    {
        int tokens = x.GetLength(0);
        int dim = x.GetLength(1);
        int headDim = dim / heads;

        double[,] ln1 = LayerNorm(x, weight("ln1.scale"), weight("ln1.bias"));
        double[,] q = Linear(ln1, weight("attn.q.weight"), weight("attn.q.bias"), dim);
        double[,] k = Linear(ln1, weight("attn.k.weight"), weight("attn.k.bias"), dim);
        double[,] v = Linear(ln1, weight("attn.v.weight"), weight("attn.v.bias"), dim);

        var context = new double[tokens, dim];
        var scores = new double[tokens];
        for (int h = 0; h < heads; h++)
        {
            int offset = h * headDim;
            for (int i = 0; i < tokens; i++)
            {
                double max = double.NegativeInfinity;
                for (int j = 0; j < tokens; j++)
                {
                    double dot = 0;
                    for (int d = 0; d < headDim; d++)
                    {
                        dot += q[i, offset + d] * k[j, offset + d];
                    }

                    scores[j] = dot / Math.Sqrt(headDim);
                    max = Math.Max(max, scores[j]);
                }

                double sum = 0;
                for (int j = 0; j < tokens; j++)
                {
                    scores[j] = Math.Exp(scores[j] - max);
                    sum += scores[j];
                }

                for (int d = 0; d < headDim; d++)
                {
                    double acc = 0;
                    for (int j = 0; j < tokens; j++)
                    {
                        acc += scores[j] / sum * v[j, offset + d];
                    }

                    context[i, offset + d] = acc;
                }
            }
        }

        double[,] attention = Linear(context, weight("attn.out.weight"), weight("attn.out.bias"), dim);
        double[,] residual = Add(x, attention);

        double[,] ln2 = LayerNorm(residual, weight("ln2.scale"), weight("ln2.bias"));
        double[,] hidden = Linear(ln2, weight("mlp.fc1.weight"), weight("mlp.fc1.bias"), mlp);
        for (int t = 0; t < tokens; t++)
        {
            for (int m = 0; m < mlp; m++)
            {
                double u = hidden[t, m];
                hidden[t, m] = 0.5 * u * (1 + Erf(u / Math.Sqrt(2)));
            }
        }

        double[,] mlpOut = Linear(hidden, weight("mlp.fc2.weight"), weight("mlp.fc2.bias"), dim);
        return Add(residual, mlpOut);
    }

    private static double[,] LayerNorm(double[,] x, float[] scale, float[] bias)
    {
        int rows = x.GetLength(0);
        int cols = x.GetLength(1);
        var result = new double[rows, cols];
        for (int r = 0; r < rows; r++)
        {
            double mean = 0;
            for (int c = 0; c < cols; c++)
            {
                mean += x[r, c];
            }

            mean /= cols;
            double variance = 0;
            for (int c = 0; c < cols; c++)
            {
                variance += (x[r, c] - mean) * (x[r, c] - mean);
            }

            variance /= cols;
            double inverse = 1 / Math.Sqrt(variance + VitBlockModel.LayerNormEpsilon);
            for (int c = 0; c < cols; c++)
            {
                result[r, c] = ((x[r, c] - mean) * inverse * scale[c]) + bias[c];
            }
        }

        return result;
    }

    // weight is row-major [in, out].
    private static double[,] Linear(double[,] x, float[] weight, float[] bias, int outputs)
    {
        int rows = x.GetLength(0);
        int inputs = x.GetLength(1);
        Assert.Equal(inputs * outputs, weight.Length);
        var result = new double[rows, outputs];
        for (int r = 0; r < rows; r++)
        {
            for (int o = 0; o < outputs; o++)
            {
                double acc = bias[o];
                for (int i = 0; i < inputs; i++)
                {
                    acc += x[r, i] * weight[(i * outputs) + o];
                }

                result[r, o] = acc;
            }
        }

        return result;
    }

    private static double[,] Add(double[,] a, double[,] b)
    {
        var result = new double[a.GetLength(0), a.GetLength(1)];
        for (int r = 0; r < a.GetLength(0); r++)
        {
            for (int c = 0; c < a.GetLength(1); c++)
            {
                result[r, c] = a[r, c] + b[r, c];
            }
        }

        return result;
    }

    // Abramowitz and Stegun 7.1.26: absolute error below 1.5e-7, far inside the 1e-4 comparison tolerance.
    private static double Erf(double x)
    {
        double sign = Math.Sign(x);
        double a = Math.Abs(x);
        double t = 1 / (1 + (0.3275911 * a));
        double poly = t * (0.254829592 + (t * (-0.284496736 + (t * (1.421413741 + (t * (-1.453152027 + (t * 1.061405429))))))));
        return sign * (1 - (poly * Math.Exp(-a * a)));
    }
}
