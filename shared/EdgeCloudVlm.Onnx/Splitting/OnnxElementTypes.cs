using EdgeCloudVlm.Onnx.Proto;

namespace EdgeCloudVlm.Onnx.Splitting;

/// <summary>Storage widths of ONNX element types.</summary>
internal static class OnnxElementTypes
{
    /// <summary>Bits per element, or 0 for STRING and unknown types (whose size is not fixed).</summary>
    public static int Bits(TensorProto.Types.DataType type) => type switch
    {
        TensorProto.Types.DataType.Bool or TensorProto.Types.DataType.Int8 or TensorProto.Types.DataType.Uint8 => 8,
        TensorProto.Types.DataType.Float8E4M3Fn or TensorProto.Types.DataType.Float8E4M3Fnuz => 8,
        TensorProto.Types.DataType.Float8E5M2 or TensorProto.Types.DataType.Float8E5M2Fnuz => 8,
        TensorProto.Types.DataType.Int16 or TensorProto.Types.DataType.Uint16 => 16,
        TensorProto.Types.DataType.Float16 or TensorProto.Types.DataType.Bfloat16 => 16,
        TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Int32 or TensorProto.Types.DataType.Uint32 => 32,
        TensorProto.Types.DataType.Double or TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Uint64 => 64,
        TensorProto.Types.DataType.Complex64 => 64,
        TensorProto.Types.DataType.Complex128 => 128,
        TensorProto.Types.DataType.Int4 or TensorProto.Types.DataType.Uint4 or TensorProto.Types.DataType.Float4E2M1 => 4,
        _ => 0,
    };

    /// <summary>
    /// Bytes a stored tensor occupies: its raw data, its typed repeated field, or the <c>length</c> of its external data.
    /// </summary>
    public static long StoredBytes(TensorProto tensor)
    {
        if (tensor.HasRawData)
        {
            return tensor.RawData.Length;
        }

        foreach (StringStringEntryProto entry in tensor.ExternalData)
        {
            if (entry.Key == "length" && long.TryParse(entry.Value, System.Globalization.NumberStyles.None,
                    System.Globalization.CultureInfo.InvariantCulture, out long length))
            {
                return length;
            }
        }

        long count = 1;
        foreach (long dim in tensor.Dims)
        {
            count = checked(count * dim);
        }

        int bits = Bits((TensorProto.Types.DataType)tensor.DataType);
        if (bits != 0)
        {
            return checked((count * bits) + 7) / 8;
        }

        long strings = 0;
        foreach (Google.Protobuf.ByteString value in tensor.StringData)
        {
            strings += value.Length;
        }

        return strings;
    }
}
