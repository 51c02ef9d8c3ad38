namespace EdgeCloudVlm.Inference.Runtime;

/// <summary>ONNX Runtime graph optimization level, as a configuration-friendly enum.</summary>
public enum GraphOptimization
{
    /// <summary>No graph rewrites.</summary>
    Disabled = 0,

    /// <summary>Constant folding and redundant node removal.</summary>
    Basic = 1,

    /// <summary>Basic plus node fusions.</summary>
    Extended = 2,

    /// <summary>Everything, including layout optimizations.</summary>
    All = 3,
}
