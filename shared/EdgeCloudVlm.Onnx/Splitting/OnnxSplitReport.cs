namespace EdgeCloudVlm.Onnx.Splitting;

/// <summary>What <see cref="OnnxModelSplitter"/> did.</summary>
/// <param name="CutTensors">The tensors asked for, in the order given: the head's first outputs and the tail's first inputs.</param>
/// <param name="ExtraCrossingTensors">
/// Further head tensors the tail reads (only with <see cref="OnnxSplitOptions.AllowExtraCrossingTensors"/>); they
/// follow the cut tensors among the head outputs and tail inputs, in topological order.
/// </param>
/// <param name="UnusedCutTensors">Cut tensors no tail node reads and that are not graph outputs; the tail declares them as inputs anyway.</param>
/// <param name="HeadGraphInputs">Original graph inputs the head reads.</param>
/// <param name="TailGraphInputs">Original graph inputs the tail reads directly; they must be sent to the tail as well.</param>
/// <param name="HeadNodeCount">Nodes in the head.</param>
/// <param name="TailNodeCount">Nodes in the tail.</param>
/// <param name="DroppedNodeCount">Nodes of the original that neither part needs (they contributed to no output).</param>
/// <param name="HeadInitializerBytes">Stored bytes of the head's initializers.</param>
/// <param name="TailInitializerBytes">Stored bytes of the tail's initializers.</param>
/// <param name="SharedInitializers">Initializers both parts read, copied into each.</param>
public sealed record OnnxSplitReport(
    IReadOnlyList<OnnxTensorInfo> CutTensors,
    IReadOnlyList<OnnxTensorInfo> ExtraCrossingTensors,
    IReadOnlyList<string> UnusedCutTensors,
    IReadOnlyList<string> HeadGraphInputs,
    IReadOnlyList<string> TailGraphInputs,
    int HeadNodeCount,
    int TailNodeCount,
    int DroppedNodeCount,
    long HeadInitializerBytes,
    long TailInitializerBytes,
    IReadOnlyList<string> SharedInitializers)
{
    /// <summary>Every tensor that crosses from head to tail: the cut tensors, then the extra ones.</summary>
    public IReadOnlyList<OnnxTensorInfo> CrossingTensors => [.. CutTensors, .. ExtraCrossingTensors];

    /// <summary>
    /// Bytes of one instance of all crossing tensors, uncompressed; <see langword="null"/> when a shape has a symbolic
    /// or unknown dimension.
    /// </summary>
    public long? CrossingBytes
    {
        get
        {
            long total = 0;
            foreach (OnnxTensorInfo tensor in CrossingTensors)
            {
                if (tensor.ByteSize is not long size)
                {
                    return null;
                }

                total += size;
            }

            return total;
        }
    }
}
