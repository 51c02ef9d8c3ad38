using System.Runtime.InteropServices;
using EdgeCloudVlm.Onnx.Proto;
using Google.Protobuf;

namespace EdgeCloudVlm.Onnx;

/// <summary>Conversions between .NET arrays and <see cref="TensorProto"/> (data stored as little-endian raw_data).</summary>
public static class OnnxTensor
{
    /// <summary>Creates a FLOAT tensor.</summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="values">Elements in row-major order.</param>
    /// <param name="dims">Dimensions; their product must equal the element count (empty for a scalar).</param>
    /// <returns>The tensor.</returns>
    public static TensorProto FromFloats(string name, ReadOnlySpan<float> values, ReadOnlySpan<long> dims)
    {
        TensorProto tensor = Create(name, TensorProto.Types.DataType.Float, values.Length, dims);
        tensor.RawData = ToLittleEndianBytes(values);
        return tensor;
    }

    /// <summary>Creates an INT64 tensor (shapes, axes, indices).</summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="values">Elements in row-major order.</param>
    /// <param name="dims">Dimensions; their product must equal the element count (empty for a scalar).</param>
    /// <returns>The tensor.</returns>
    public static TensorProto FromInt64s(string name, ReadOnlySpan<long> values, ReadOnlySpan<long> dims)
    {
        TensorProto tensor = Create(name, TensorProto.Types.DataType.Int64, values.Length, dims);
        tensor.RawData = ToLittleEndianBytes(values);
        return tensor;
    }

    /// <summary>Reads the elements of a FLOAT tensor stored inline (raw_data or float_data).</summary>
    /// <param name="tensor">The tensor.</param>
    /// <returns>The elements in row-major order.</returns>
    /// <exception cref="InvalidDataException">The tensor is not FLOAT or its data does not match its dimensions.</exception>
    /// <exception cref="NotSupportedException">The data is stored externally.</exception>
    public static float[] ToFloats(TensorProto tensor)
    {
        long count = CheckReadable(tensor, TensorProto.Types.DataType.Float);
        if (tensor.HasRawData)
        {
            return FromLittleEndianBytes<float>(tensor.RawData.Span, count, tensor.Name);
        }

        CheckCount(tensor.FloatData.Count, count, tensor.Name);
        var result = new float[count];
        tensor.FloatData.CopyTo(result, 0);
        return result;
    }

    /// <summary>Reads the elements of an INT64 tensor stored inline (raw_data or int64_data).</summary>
    /// <param name="tensor">The tensor.</param>
    /// <returns>The elements in row-major order.</returns>
    /// <exception cref="InvalidDataException">The tensor is not INT64 or its data does not match its dimensions.</exception>
    /// <exception cref="NotSupportedException">The data is stored externally.</exception>
    public static long[] ToInt64s(TensorProto tensor)
    {
        long count = CheckReadable(tensor, TensorProto.Types.DataType.Int64);
        if (tensor.HasRawData)
        {
            return FromLittleEndianBytes<long>(tensor.RawData.Span, count, tensor.Name);
        }

        CheckCount(tensor.Int64Data.Count, count, tensor.Name);
        var result = new long[count];
        tensor.Int64Data.CopyTo(result, 0);
        return result;
    }

    /// <summary>Number of elements of a tensor with the given dimensions (1 for a scalar).</summary>
    /// <param name="dims">The dimensions.</param>
    /// <returns>The product of the dimensions.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative.</exception>
    public static long ElementCount(ReadOnlySpan<long> dims)
    {
        long count = 1;
        foreach (long dim in dims)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(dim, nameof(dims));
            count = checked(count * dim);
        }

        return count;
    }

    private static TensorProto Create(string name, TensorProto.Types.DataType type, int count, ReadOnlySpan<long> dims)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        long expected = ElementCount(dims);
        if (expected != count)
        {
            throw new ArgumentException(
                $"Tensor '{name}' has {count} elements but its dimensions hold {expected}.", nameof(dims));
        }

        var tensor = new TensorProto { Name = name, DataType = (int)type };
        foreach (long dim in dims)
        {
            tensor.Dims.Add(dim);
        }

        return tensor;
    }

    private static long CheckReadable(TensorProto tensor, TensorProto.Types.DataType type)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.DataType != (int)type)
        {
            throw new InvalidDataException($"Tensor '{tensor.Name}' has data type {tensor.DataType}, expected {type}.");
        }

        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            throw new NotSupportedException($"Tensor '{tensor.Name}' stores its data in an external file.");
        }

        long count = 1;
        foreach (long dim in tensor.Dims)
        {
            if (dim < 0)
            {
                throw new InvalidDataException($"Tensor '{tensor.Name}' has a negative dimension.");
            }

            count = checked(count * dim);
        }

        return count;
    }

    private static void CheckCount(long actual, long expected, string name)
    {
        if (actual != expected)
        {
            throw new InvalidDataException($"Tensor '{name}' holds {actual} elements, its dimensions say {expected}.");
        }
    }

    private static ByteString ToLittleEndianBytes<T>(ReadOnlySpan<T> values)
        where T : unmanaged
    {
        if (BitConverter.IsLittleEndian)
        {
            return ByteString.CopyFrom(MemoryMarshal.AsBytes(values));
        }

        // ONNX raw_data is little-endian whatever the host; swap each element on big-endian hosts.
        byte[] bytes = MemoryMarshal.AsBytes(values).ToArray();
        int size = Marshal.SizeOf<T>();
        for (int offset = 0; offset < bytes.Length; offset += size)
        {
            bytes.AsSpan(offset, size).Reverse();
        }

        return ByteString.CopyFrom(bytes);
    }

    private static T[] FromLittleEndianBytes<T>(ReadOnlySpan<byte> bytes, long count, string name)
        where T : unmanaged
    {
        int size = Marshal.SizeOf<T>();
        CheckCount(bytes.Length / size, count, name);
        if (bytes.Length % size != 0)
        {
            throw new InvalidDataException($"Tensor '{name}' raw_data length {bytes.Length} is not a multiple of {size}.");
        }

        T[] result = MemoryMarshal.Cast<byte, T>(bytes).ToArray();
        if (!BitConverter.IsLittleEndian)
        {
            Span<byte> view = MemoryMarshal.AsBytes(result.AsSpan());
            for (int offset = 0; offset < view.Length; offset += size)
            {
                view.Slice(offset, size).Reverse();
            }
        }

        return result;
    }
}
