namespace EdgeCloudVlm.Inference.Manifest;

/// <summary>A named input or output of an ONNX part as <c>model.json</c> describes it.</summary>
public sealed record TensorSpec
{
    /// <summary>The ONNX input or output name.</summary>
    public string Name { get; init; } = "";

    /// <summary>Element type: <c>float32</c>, <c>float16</c>, <c>int64</c>, <c>int32</c>, ...</summary>
    public string Dtype { get; init; } = "";

    /// <summary>The shape; symbolic dimensions are named.</summary>
    public IReadOnlyList<TensorDim> Shape { get; init; } = [];

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Count;

    /// <summary>The shape as text, e.g. <c>[batch, 3, 96, 96]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
