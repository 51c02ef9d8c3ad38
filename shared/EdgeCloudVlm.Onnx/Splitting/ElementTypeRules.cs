using EdgeCloudVlm.Onnx.Proto;

namespace EdgeCloudVlm.Onnx.Splitting;

/// <summary>
/// Element types of node outputs of the default ONNX domain, derived from their inputs and attributes: enough to
/// declare a crossing tensor when the model carries no <c>value_info</c> for it. Shapes are not inferred.
/// </summary>
/// <remarks>
/// Operators of other domains are left unknown (0) because their typing rules are not known here; a model using
/// them should carry <c>value_info</c> (run ONNX shape inference before splitting).
/// </remarks>
internal static class ElementTypeRules
{
    private const int Float = (int)TensorProto.Types.DataType.Float;
    private const int Int64 = (int)TensorProto.Types.DataType.Int64;
    private const int Int32 = (int)TensorProto.Types.DataType.Int32;
    private const int Uint8 = (int)TensorProto.Types.DataType.Uint8;
    private const int Bool = (int)TensorProto.Types.DataType.Bool;
    private const int StringType = (int)TensorProto.Types.DataType.String;

    /// <summary>The element type of output <paramref name="outputIndex"/> of <paramref name="node"/>, or 0 when unknown.</summary>
    /// <param name="node">The node.</param>
    /// <param name="outputIndex">Position among the node's outputs.</param>
    /// <param name="typeOf">Known element type of a value (0 when unknown).</param>
    public static int Infer(NodeProto node, int outputIndex, Func<string, int> typeOf)
    {
        if (node.Domain.Length != 0 && node.Domain != "ai.onnx")
        {
            return 0;
        }

        switch (node.OpType)
        {
            case "Shape" or "Size" or "NonZero" or "ArgMax" or "ArgMin" or "NonMaxSuppression":
                return Int64;
            case "Equal" or "Less" or "Greater" or "LessOrEqual" or "GreaterOrEqual" or "Not" or "And" or "Or" or "Xor"
                or "IsNaN" or "IsInf" or "RegexFullMatch":
                return Bool;
            case "MatMulInteger" or "ConvInteger":
                return Int32;
            case "StringNormalizer":
                return StringType;
            case "Cast":
                return (int)IntAttribute(node, "to", 0);
            case "CastLike":
                return InputType(node, 1, typeOf);
            case "Constant":
                return ConstantType(node);
            case "ConstantOfShape":
                return TensorAttribute(node, "value")?.DataType ?? Float;
            case "RandomNormal" or "RandomUniform":
                return (int)IntAttribute(node, "dtype", Float);
            case "RandomNormalLike" or "RandomUniformLike" or "EyeLike":
                return (int)IntAttribute(node, "dtype", InputType(node, 0, typeOf));
            case "Multinomial":
                return (int)IntAttribute(node, "dtype", Int32);
            case "TopK" or "MaxPool" or "Unique" when outputIndex > 0:
                return Int64;
            case "DynamicQuantizeLinear":
                return outputIndex == 1 ? Float : Uint8;
            case "QuantizeLinear":
                return node.Input.Count > 2 && node.Input[2].Length != 0
                    ? InputType(node, 2, typeOf)
                    : (int)IntAttribute(node, "output_dtype", Uint8);
            case "DequantizeLinear":
                return InputType(node, 1, typeOf) is var scale and not 0 ? scale : Float;
            case "QLinearConv" or "QLinearMatMul":
                return InputType(node, 7, typeOf);
            case "Where":
                return InputType(node, 1, typeOf);
            case "If":
                return SubgraphOutputType(node, "then_branch", outputIndex);
            case "Loop":
                return SubgraphOutputType(node, "body", outputIndex + 1);
            case "Scan":
                return SubgraphOutputType(node, "body", outputIndex);
            case "SequenceConstruct" or "SequenceEmpty" or "SplitToSequence" or "SequenceInsert" or "SequenceErase"
                or "ConcatFromSequence" or "SequenceAt" or "SequenceLength" or "Optional" or "OptionalGetElement"
                or "OptionalHasElement":
                // Sequence and optional values are not tensors; ConcatFromSequence and SequenceAt need the element
                // type of a sequence, which is not tracked.
                return node.OpType == "SequenceLength" ? Int64 : node.OpType == "OptionalHasElement" ? Bool : 0;
            default:
                return FirstKnownInputType(node, typeOf);
        }
    }

    private static int InputType(NodeProto node, int index, Func<string, int> typeOf) =>
        index < node.Input.Count && node.Input[index].Length != 0 ? typeOf(node.Input[index]) : 0;

    private static int FirstKnownInputType(NodeProto node, Func<string, int> typeOf)
    {
        foreach (string input in node.Input)
        {
            if (input.Length != 0 && typeOf(input) is var type and not 0)
            {
                return type;
            }
        }

        return 0;
    }

    private static long IntAttribute(NodeProto node, string name, long fallback)
    {
        foreach (AttributeProto attribute in node.Attribute)
        {
            if (attribute.Name == name)
            {
                return attribute.I;
            }
        }

        return fallback;
    }

    private static TensorProto? TensorAttribute(NodeProto node, string name)
    {
        foreach (AttributeProto attribute in node.Attribute)
        {
            if (attribute.Name == name)
            {
                return attribute.T;
            }
        }

        return null;
    }

    private static int ConstantType(NodeProto node)
    {
        foreach (AttributeProto attribute in node.Attribute)
        {
            switch (attribute.Name)
            {
                case "value" when attribute.T is not null:
                    return attribute.T.DataType;
                case "sparse_value" when attribute.SparseTensor?.Values is not null:
                    return attribute.SparseTensor.Values.DataType;
                case "value_float" or "value_floats":
                    return Float;
                case "value_int" or "value_ints":
                    return Int64;
                case "value_string" or "value_strings":
                    return StringType;
            }
        }

        return 0;
    }

    private static int SubgraphOutputType(NodeProto node, string attributeName, int graphOutputIndex)
    {
        foreach (AttributeProto attribute in node.Attribute)
        {
            if (attribute.Name == attributeName && attribute.G is { } graph && graphOutputIndex < graph.Output.Count)
            {
                return graph.Output[graphOutputIndex].Type?.TensorType?.ElemType ?? 0;
            }
        }

        return 0;
    }
}
