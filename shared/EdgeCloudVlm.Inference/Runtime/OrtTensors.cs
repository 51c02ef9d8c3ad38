using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace EdgeCloudVlm.Inference.Runtime;

/// <summary>Tensors over managed memory: ONNX Runtime reads and writes the caller's buffer in place (pinned for the
/// lifetime of the returned value), so no copy is made on the way in or out.</summary>
public static class OrtTensors
{
    /// <summary>A tensor over <paramref name="data"/>, whose length must equal the product of <paramref name="shape"/>.</summary>
    public static OrtValue Create<T>(Memory<T> data, params long[] shape)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(shape);
        long count = ElementCount(shape);
        if (count != data.Length)
        {
            throw new ArgumentException(
                $"buffer holds {data.Length} elements, shape [{string.Join(", ", shape)}] needs {count}", nameof(data));
        }

        return OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, data, shape);
    }

    /// <summary>A tensor over read-only memory; only for inputs, which ONNX Runtime does not write.</summary>
    public static OrtValue CreateInput<T>(ReadOnlyMemory<T> data, params long[] shape)
        where T : unmanaged
        => Create(MemoryMarshal.AsMemory(data), shape);

    /// <summary>Product of the dimensions.</summary>
    public static long ElementCount(ReadOnlySpan<long> shape)
    {
        long count = 1;
        foreach (long d in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(d);
            count = checked(count * d);
        }

        return count;
    }
}
