using EdgeCloudVlm.Codec.Codebooks;

namespace EdgeCloudVlm.Benchmarks.Suites;

/// <summary>
/// The AlignedVQ encoder's math written as plain scalar loops (no blocking, no SIMD, full distances): the baseline
/// the optimized encoder's speed-up is measured against. It produces the same symbols.
/// </summary>
internal static class NaiveAlignedVqEncoder
{
    public static void ComputeSymbols(Codebook codebook, float[] features, int tokens, int[] symbols)
    {
        var document = codebook.Document;
        var dimension = document.Dimension;
        var alignment = document.Alignment;
        var projection = document.Projection;
        var quantizer = document.Quantizer;
        var quantizedDimension = projection?.OutputDimension ?? dimension;
        var statistics = alignment.NormalizeTokens ? 2 : 0;
        var columns = statistics + (quantizer.Groups * quantizer.Stages);
        var aligned = new float[dimension];
        var projected = new float[quantizedDimension];
        var residual = new float[quantizedDimension];

        for (var t = 0; t < tokens; t++)
        {
            var offset = t * dimension;
            for (var d = 0; d < dimension; d++)
            {
                aligned[d] = features[offset + d] - (alignment.ChannelBias?[d] ?? 0f);
            }

            if (alignment.NormalizeTokens)
            {
                float sum = 0;
                for (var d = 0; d < dimension; d++)
                {
                    sum += aligned[d];
                }

                var mean = sum / dimension;
                float squares = 0;
                for (var d = 0; d < dimension; d++)
                {
                    var centered = aligned[d] - mean;
                    squares += centered * centered;
                }

                var log2Rms = MathF.Log2(MathF.Max(MathF.Sqrt(squares / dimension), 1e-20f));
                var rmsSymbol = NearestLevel(alignment.Log2RmsLevels, log2Rms);
                var rms = MathF.Pow(2f, alignment.Log2RmsLevels[rmsSymbol]);
                var meanSymbol = NearestLevel(alignment.RelativeMeanLevels, mean / rms);
                var quantizedMean = alignment.RelativeMeanLevels[meanSymbol] * rms;
                symbols[t * columns] = meanSymbol;
                symbols[(t * columns) + 1] = rmsSymbol;
                for (var d = 0; d < dimension; d++)
                {
                    aligned[d] = (aligned[d] - quantizedMean) * (1f / rms);
                }
            }

            if (alignment.Center is { } center)
            {
                for (var d = 0; d < dimension; d++)
                {
                    aligned[d] -= center[d];
                }
            }

            if (projection is not null)
            {
                for (var q = 0; q < quantizedDimension; q++)
                {
                    float dot = 0;
                    for (var d = 0; d < dimension; d++)
                    {
                        dot += projection.Components[(q * dimension) + d] * aligned[d];
                    }

                    projected[q] = dot;
                }
            }
            else
            {
                Array.Copy(aligned, projected, dimension);
            }

            for (var g = 0; g < quantizer.Groups; g++)
            {
                var start = g * quantizedDimension / quantizer.Groups;
                var width = ((g + 1) * quantizedDimension / quantizer.Groups) - start;
                for (var j = 0; j < width; j++)
                {
                    residual[j] = projected[quantizer.DimensionOrder[start + j]];
                }

                for (var s = 0; s < quantizer.Stages; s++)
                {
                    var stage = quantizer.Codebooks[(g * quantizer.Stages) + s];
                    var best = 0;
                    var bestDistance = float.PositiveInfinity;
                    for (var k = 0; k < stage.Size; k++)
                    {
                        float distance = 0;
                        for (var j = 0; j < width; j++)
                        {
                            var delta = residual[j] - stage.Centroids[(k * width) + j];
                            distance += delta * delta;
                        }

                        if (distance < bestDistance)
                        {
                            bestDistance = distance;
                            best = k;
                        }
                    }

                    symbols[(t * columns) + statistics + (g * quantizer.Stages) + s] = best;
                    for (var j = 0; j < width; j++)
                    {
                        residual[j] -= stage.Centroids[(best * width) + j];
                    }
                }
            }
        }
    }

    private static int NearestLevel(float[] levels, float value)
    {
        var best = 0;
        for (var i = 1; i < levels.Length; i++)
        {
            if (Math.Abs(levels[i] - value) < Math.Abs(levels[best] - value))
            {
                best = i;
            }
        }

        return best;
    }
}
