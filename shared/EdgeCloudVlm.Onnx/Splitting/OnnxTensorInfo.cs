using System.Globalization;
using System.Text;
using EdgeCloudVlm.Onnx.Proto;

namespace EdgeCloudVlm.Onnx.Splitting;

/// <summary>A tensor computed inside a graph: its name, the node that produces it and what is known of its type.</summary>
/// <param name="Name">Value name.</param>
/// <param name="ProducerOpType">Operator of the producing node, for example <c>"Conv"</c>.</param>
/// <param name="ProducerName">Name of the producing node (may be empty: ONNX does not require node names).</param>
/// <param name="ElementType">Element type, or <see cref="TensorProto.Types.DataType.Undefined"/> when unknown.</param>
/// <param name="Shape">Dimensions, or <see langword="null"/> when the rank is unknown.</param>
/// <param name="IsGraphOutput">Whether the tensor is also an output of the graph.</param>
public sealed record OnnxTensorInfo(
    string Name,
    string ProducerOpType,
    string ProducerName,
    TensorProto.Types.DataType ElementType,
    IReadOnlyList<OnnxDim>? Shape,
    bool IsGraphOutput)
{
    /// <summary>
    /// Size in bytes of one instance of the tensor when its element type and every dimension are fixed;
    /// <see langword="null"/> when a dimension is symbolic or unknown.
    /// </summary>
    public long? ByteSize
    {
        get
        {
            int bits = OnnxElementTypes.Bits(ElementType);
            if (Shape is null || bits == 0)
            {
                return null;
            }

            long count = 1;
            foreach (OnnxDim dim in Shape)
            {
                if (dim.Value is not long value)
                {
                    return null;
                }

                count = checked(count * value);
            }

            return checked((count * bits) + 7) / 8;
        }
    }

    /// <summary>The shape as text: <c>[1,64,56,56]</c>, <c>[batch,577,1024]</c> (<c>?</c> for an unknown dimension), or <c>?</c> when the rank is unknown.</summary>
    /// <returns>The formatted shape.</returns>
    public string FormatShape()
    {
        if (Shape is null)
        {
            return "?";
        }

        var text = new StringBuilder("[");
        for (int i = 0; i < Shape.Count; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }

            text.Append(Shape[i].ToString());
        }

        return text.Append(']').ToString();
    }

    /// <summary>The element type in ONNX spelling, lower case (<c>float</c>, <c>int64</c>), or <c>?</c> when unknown.</summary>
    /// <returns>The element type name.</returns>
    public string FormatElementType() =>
        ElementType == TensorProto.Types.DataType.Undefined
            ? "?"
            : ElementType.ToString().ToLower(CultureInfo.InvariantCulture);
}
