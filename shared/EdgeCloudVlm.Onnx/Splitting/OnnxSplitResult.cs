using EdgeCloudVlm.Onnx.Proto;

namespace EdgeCloudVlm.Onnx.Splitting;

/// <summary>The two parts of a split model and what crossed between them.</summary>
/// <param name="Head">Graph inputs to the crossing tensors (runs on the edge).</param>
/// <param name="Tail">Crossing tensors, plus any graph inputs the tail still reads, to the original outputs (runs in the cloud).</param>
/// <param name="Report">Counts, crossing tensors and sizes.</param>
public sealed record OnnxSplitResult(ModelProto Head, ModelProto Tail, OnnxSplitReport Report);
