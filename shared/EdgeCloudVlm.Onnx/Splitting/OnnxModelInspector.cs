using EdgeCloudVlm.Onnx.Proto;

namespace EdgeCloudVlm.Onnx.Splitting;

/// <summary>Lists what a model computes, so that a user can choose where to split it.</summary>
public static class OnnxModelInspector
{
    /// <summary>
    /// Every tensor computed by a node of the main graph (graph inputs and initializers excluded), in topological
    /// order, with its producer and what the model declares about its type.
    /// </summary>
    /// <remarks>
    /// Shapes come from <c>graph.value_info</c> and the graph outputs only; a model exported without shape
    /// information lists unknown shapes (run ONNX shape inference first to see them). Element types of default-domain
    /// operators are inferred when not declared.
    /// </remarks>
    /// <param name="model">The model.</param>
    /// <returns>The intermediate and output tensors.</returns>
    /// <exception cref="OnnxSplitException">The graph is not valid (a value defined twice or never, or a cycle).</exception>
    public static IReadOnlyList<OnnxTensorInfo> ListTensors(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        GraphProto graph = model.Graph ?? throw new OnnxSplitException("The model has no graph.");
        GraphIndex index = GraphIndex.Build(graph);
        ValueTypes types = ValueTypes.Build(index);
        var tensors = new List<OnnxTensorInfo>(graph.Node.Count);
        foreach (int nodeIndex in index.Order)
        {
            foreach (string output in graph.Node[nodeIndex].Output)
            {
                if (output.Length != 0)
                {
                    tensors.Add(Describe(index, types, output));
                }
            }
        }

        return tensors;
    }

    internal static OnnxTensorInfo Describe(GraphIndex index, ValueTypes types, string name)
    {
        NodeProto producer = index.Graph.Node[index.Producer[name]];
        return new OnnxTensorInfo(
            name,
            producer.OpType,
            producer.Name,
            (TensorProto.Types.DataType)types.ElementType(name),
            types.Shape(name),
            index.GraphOutputs.Contains(name));
    }
}
