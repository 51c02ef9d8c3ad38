using System.Numerics.Tensors;

namespace EdgeCloudVlm.Benchmarks.Suites;

/// <summary>Reconstruction quality accumulated over frames: relative squared error and mean per-token cosine.</summary>
internal sealed class FeatureQuality(int dimension)
{
    private double _error;
    private double _energy;
    private double _cosineSum;
    private long _tokens;

    public void Add(ReadOnlySpan<float> original, ReadOnlySpan<float> reconstructed)
    {
        for (var start = 0; start < original.Length; start += dimension)
        {
            var a = original.Slice(start, dimension);
            var b = reconstructed.Slice(start, dimension);
            var energy = (double)TensorPrimitives.SumOfSquares(a);
            var distance = (double)TensorPrimitives.Distance(a, b);
            _error += distance * distance;
            _energy += energy;
            var norms = Math.Sqrt(energy) * Math.Sqrt(TensorPrimitives.SumOfSquares(b));
            _cosineSum += norms == 0 ? (energy == 0 ? 1 : 0) : TensorPrimitives.Dot(a, b) / norms;
            _tokens++;
        }
    }

    public double RelativeMse => _energy == 0 ? 0 : _error / _energy;

    public double CosineMean => _tokens == 0 ? double.NaN : _cosineSum / _tokens;
}
