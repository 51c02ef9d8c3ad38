namespace EdgeCloudVlm.Onnx.Splitting;

/// <summary>How <see cref="OnnxModelSplitter"/> treats cuts that are not clean and names the two parts.</summary>
public sealed record OnnxSplitOptions
{
    /// <summary>
    /// When the tail needs tensors the head computes other than through the cut tensors, export them as extra
    /// head outputs (and tail inputs) instead of failing. Off by default: such tensors also cross the network, so
    /// they should be chosen deliberately. <see cref="OnnxSplitReport.ExtraCrossingTensors"/> lists them.
    /// </summary>
    public bool AllowExtraCrossingTensors { get; init; }

    /// <summary>Graph name of the head; <see langword="null"/> uses the original name with <c>_head</c> appended.</summary>
    public string? HeadGraphName { get; init; }

    /// <summary>Graph name of the tail; <see langword="null"/> uses the original name with <c>_tail</c> appended.</summary>
    public string? TailGraphName { get; init; }
}
