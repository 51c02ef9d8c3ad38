using System.Text;
using EdgeCloudVlm.Onnx.Proto;
using Google.Protobuf;

namespace EdgeCloudVlm.Onnx;

/// <summary>Typed constructors for node attributes; each sets the value field and the matching <c>type</c>.</summary>
public static class OnnxAttribute
{
    /// <summary>Creates an INT attribute.</summary>
    /// <param name="name">Attribute name.</param>
    /// <param name="value">The value.</param>
    /// <returns>The attribute.</returns>
    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>Creates a FLOAT attribute.</summary>
    /// <param name="name">Attribute name.</param>
    /// <param name="value">The value.</param>
    /// <returns>The attribute.</returns>
    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>Creates a STRING attribute holding UTF-8 text.</summary>
    /// <param name="name">Attribute name.</param>
    /// <param name="value">The text.</param>
    /// <returns>The attribute.</returns>
    public static AttributeProto String(string name, string value) =>
        new()
        {
            Name = name,
            Type = AttributeProto.Types.AttributeType.String,
            S = ByteString.CopyFrom(value, Encoding.UTF8),
        };

    /// <summary>Creates an INTS attribute.</summary>
    /// <param name="name">Attribute name.</param>
    /// <param name="values">The values.</param>
    /// <returns>The attribute.</returns>
    public static AttributeProto Ints(string name, params ReadOnlySpan<long> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        foreach (long value in values)
        {
            attribute.Ints.Add(value);
        }

        return attribute;
    }

    /// <summary>Creates a FLOATS attribute.</summary>
    /// <param name="name">Attribute name.</param>
    /// <param name="values">The values.</param>
    /// <returns>The attribute.</returns>
    public static AttributeProto Floats(string name, params ReadOnlySpan<float> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats };
        foreach (float value in values)
        {
            attribute.Floats.Add(value);
        }

        return attribute;
    }

    /// <summary>Creates a TENSOR attribute (for example the <c>value</c> of a Constant node).</summary>
    /// <param name="name">Attribute name.</param>
    /// <param name="value">The tensor.</param>
    /// <returns>The attribute.</returns>
    public static AttributeProto Tensor(string name, TensorProto value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = value };
}
