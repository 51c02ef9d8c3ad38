using System.Numerics.Tensors;
using EdgeCloudVlm.Codec.Codebooks;

namespace EdgeCloudVlm.Codec.Alignment;

/// <summary>
/// Per-token alignment: the statistics LayerNorm itself uses (mean and RMS about the mean), quantized against the
/// codebook's levels. The quantized values are what normalization divides by, so the decoder inverts it exactly and
/// the statistics' own quantization error is left for the vector quantizer to absorb.
/// </summary>
internal static class TokenAlignment
{
    /// <summary>Guards log2 of a constant token; far below any real activation RMS.</summary>
    private const float MinimumRms = 1e-20f;

    /// <summary>Exact mean and RMS about the mean of one token.</summary>
    public static (float Mean, float Rms) Measure(ReadOnlySpan<float> token, Span<float> scratch)
    {
        var mean = TensorPrimitives.Sum(token) / token.Length;
        TensorPrimitives.Subtract(token, mean, scratch);
        var rms = MathF.Sqrt(TensorPrimitives.SumOfSquares(scratch) / token.Length);
        return (mean, rms);
    }

    /// <summary>Raw statistics in the coordinates the levels live in: mean / RMS and log2 RMS.</summary>
    public static (float RelativeMean, float Log2Rms) ToCoordinates(float mean, float rms)
    {
        var safeRms = MathF.Max(rms, MinimumRms);
        return (mean / safeRms, MathF.Log2(safeRms));
    }

    /// <summary>Quantizes a token's statistics and returns the symbols and the values the decoder will see.</summary>
    public static (int MeanSymbol, int RmsSymbol, float Mean, float Rms) Quantize(AlignmentSection alignment, float mean, float rms)
    {
        var log2Rms = MathF.Log2(MathF.Max(rms, MinimumRms));
        var rmsSymbol = ScalarLevels.Nearest(alignment.Log2RmsLevels, log2Rms);
        var quantizedRms = MathF.Pow(2f, alignment.Log2RmsLevels[rmsSymbol]);
        var meanSymbol = ScalarLevels.Nearest(alignment.RelativeMeanLevels, mean / quantizedRms);
        return (meanSymbol, rmsSymbol, alignment.RelativeMeanLevels[meanSymbol] * quantizedRms, quantizedRms);
    }

    /// <summary>The decoder's view of a pair of symbols.</summary>
    public static (float Mean, float Rms) Dequantize(AlignmentSection alignment, int meanSymbol, int rmsSymbol)
    {
        var rms = MathF.Pow(2f, alignment.Log2RmsLevels[rmsSymbol]);
        return (alignment.RelativeMeanLevels[meanSymbol] * rms, rms);
    }
}
