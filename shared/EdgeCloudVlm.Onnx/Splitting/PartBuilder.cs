using EdgeCloudVlm.Onnx.Proto;

namespace EdgeCloudVlm.Onnx.Splitting;

/// <summary>Assembles one side of a split as a complete model carrying the original's model-level fields.</summary>
internal static class PartBuilder
{
    /// <summary>Metadata key naming the side: <c>head</c> or <c>tail</c>.</summary>
    public const string PartKey = "edgecloudvlm.split.part";

    /// <summary>Metadata key listing the crossing tensors, comma separated, head outputs order.</summary>
    public const string TensorsKey = "edgecloudvlm.split.tensors";

    /// <summary>Builds the graph of one side.</summary>
    /// <param name="index">The original graph.</param>
    /// <param name="name">Graph name.</param>
    /// <param name="nodes">Which nodes belong to this side.</param>
    /// <param name="sources">Original graph inputs and initializers this side reads.</param>
    /// <param name="leadingInputs">Inputs declared before the original graph inputs (the crossing tensors, for the tail).</param>
    /// <param name="outputs">Graph outputs.</param>
    /// <param name="initializerBytes">Stored bytes of the initializers copied.</param>
    public static GraphProto BuildGraph(
        GraphIndex index,
        string name,
        bool[] nodes,
        HashSet<string> sources,
        IReadOnlyList<ValueInfoProto> leadingInputs,
        IReadOnlyList<ValueInfoProto> outputs,
        out long initializerBytes)
    {
        GraphProto original = index.Graph;
        var graph = new GraphProto { Name = name };
        if (original.HasDocString)
        {
            graph.DocString = original.DocString;
        }

        foreach (StringStringEntryProto entry in original.MetadataProps)
        {
            graph.MetadataProps.Add(entry.Clone());
        }

        var boundary = new HashSet<string>(StringComparer.Ordinal);
        foreach (ValueInfoProto input in leadingInputs)
        {
            graph.Input.Add(input);
            boundary.Add(input.Name);
        }

        // An initializer also listed as a graph input (IR version 3 style, or an overridable default) stays listed.
        foreach (ValueInfoProto input in original.Input)
        {
            if (sources.Contains(input.Name))
            {
                graph.Input.Add(input.Clone());
                boundary.Add(input.Name);
            }
        }

        initializerBytes = 0;
        foreach (TensorProto initializer in original.Initializer)
        {
            if (sources.Contains(initializer.Name))
            {
                graph.Initializer.Add(initializer.Clone());
                initializerBytes += OnnxElementTypes.StoredBytes(initializer);
            }
        }

        foreach (SparseTensorProto sparse in original.SparseInitializer)
        {
            if (sparse.Values is not null && sources.Contains(sparse.Values.Name))
            {
                graph.SparseInitializer.Add(sparse.Clone());
                initializerBytes += OnnxElementTypes.StoredBytes(sparse.Values);
                if (sparse.Indices is not null)
                {
                    initializerBytes += OnnxElementTypes.StoredBytes(sparse.Indices);
                }
            }
        }

        var produced = new HashSet<string>(StringComparer.Ordinal);
        foreach (int nodeIndex in index.Order)
        {
            if (nodes[nodeIndex])
            {
                NodeProto node = original.Node[nodeIndex];
                graph.Node.Add(node.Clone());
                foreach (string output in node.Output)
                {
                    produced.Add(output);
                }
            }
        }

        foreach (ValueInfoProto output in outputs)
        {
            graph.Output.Add(output);
            boundary.Add(output.Name);
        }

        foreach (ValueInfoProto value in original.ValueInfo)
        {
            if (produced.Contains(value.Name) && !boundary.Contains(value.Name))
            {
                graph.ValueInfo.Add(value.Clone());
            }
        }

        foreach (TensorAnnotation annotation in original.QuantizationAnnotation)
        {
            string tensor = annotation.TensorName;
            if (produced.Contains(tensor) || boundary.Contains(tensor) || sources.Contains(tensor))
            {
                graph.QuantizationAnnotation.Add(annotation.Clone());
            }
        }

        return graph;
    }

    /// <summary>Wraps <paramref name="graph"/> in a model with the original's IR version, opsets, producer, metadata and functions.</summary>
    /// <remarks>Training information is dropped: it describes the whole original graph and fits neither side.</remarks>
    public static ModelProto BuildModel(ModelProto original, GraphProto graph, string part, string crossingTensors)
    {
        var model = new ModelProto { Graph = graph };
        if (original.HasIrVersion)
        {
            model.IrVersion = original.IrVersion;
        }

        if (original.HasProducerName)
        {
            model.ProducerName = original.ProducerName;
        }

        if (original.HasProducerVersion)
        {
            model.ProducerVersion = original.ProducerVersion;
        }

        if (original.HasDomain)
        {
            model.Domain = original.Domain;
        }

        if (original.HasModelVersion)
        {
            model.ModelVersion = original.ModelVersion;
        }

        if (original.HasDocString)
        {
            model.DocString = original.DocString;
        }

        foreach (OperatorSetIdProto opset in original.OpsetImport)
        {
            model.OpsetImport.Add(opset.Clone());
        }

        foreach (FunctionProto function in original.Functions)
        {
            model.Functions.Add(function.Clone());
        }

        foreach (StringStringEntryProto entry in original.MetadataProps)
        {
            if (entry.Key != PartKey && entry.Key != TensorsKey)
            {
                model.MetadataProps.Add(entry.Clone());
            }
        }

        model.MetadataProps.Add(new StringStringEntryProto { Key = PartKey, Value = part });
        model.MetadataProps.Add(new StringStringEntryProto { Key = TensorsKey, Value = crossingTensors });
        return model;
    }
}
