using EdgeCloudVlm.Onnx.Proto;

namespace EdgeCloudVlm.Onnx.Tests.Support;

/// <summary>Small graphs shared by several tests.</summary>
internal static class SampleGraphs
{
    /// <summary>Input for <see cref="EveryAttributeKind"/>, shape [2, 3].</summary>
    public static float[] EveryAttributeKindInput => [1, -2, 3, -4, 5, -6];

    /// <summary>
    /// x [2,3] → Transpose(perm: ints) → LeakyRelu(alpha: float) → Add Constant(value_floats: floats)
    /// → Pad(mode: string "edge") → Concat(axis: int) with itself: y [6,4].
    /// </summary>
    public static ModelProto EveryAttributeKind() =>
        new OnnxGraphBuilder("attributes")
            .AddInput("x", TensorProto.Types.DataType.Float, 2, 3)
            .AddOutput("y", TensorProto.Types.DataType.Float, 6, 4)
            .AddInt64Initializer("pads", [0, 1, 0, 1], 4)
            .AddNode("Transpose", ["x"], ["t"], OnnxAttribute.Ints("perm", 1, 0))
            .AddNode("LeakyRelu", ["t"], ["l"], OnnxAttribute.Float("alpha", 0.1f))
            .AddNode("Constant", [], ["c"], OnnxAttribute.Floats("value_floats", 10f, 20f))
            .AddNode("Add", ["l", "c"], ["a"])
            .AddNode("Pad", ["a", "pads"], ["p"], OnnxAttribute.String("mode", "edge"))
            .AddNode("Concat", ["p", "p"], ["y"], OnnxAttribute.Int("axis", 0))
            .Build();
}
