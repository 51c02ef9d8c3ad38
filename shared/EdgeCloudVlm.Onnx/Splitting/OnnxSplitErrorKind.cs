namespace EdgeCloudVlm.Onnx.Splitting;

/// <summary>Why a split or an inspection failed.</summary>
public enum OnnxSplitErrorKind
{
    /// <summary>The graph itself is not valid ONNX (a value defined twice or never, a cycle, no graph).</summary>
    InvalidGraph,

    /// <summary>A requested tensor name does not exist in the model.</summary>
    UnknownTensor,

    /// <summary>A requested tensor is a graph input or an initializer, which no node computes.</summary>
    NotComputed,

    /// <summary>The tail needs head tensors other than the cut tensors and extra crossing tensors are not allowed.</summary>
    NotCleanCut,

    /// <summary>The element type of a crossing tensor is neither declared nor inferable.</summary>
    UnknownType,
}
