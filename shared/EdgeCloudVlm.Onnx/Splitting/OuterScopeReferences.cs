using EdgeCloudVlm.Onnx.Proto;

namespace EdgeCloudVlm.Onnx.Splitting;

/// <summary>
/// Finds the names a node reads: its inputs plus the outer-scope values its subgraph attributes (If branches,
/// Loop and Scan bodies) refer to, which ONNX lets a subgraph read without listing them as node inputs.
/// </summary>
internal static class OuterScopeReferences
{
    /// <summary>Distinct non-empty names <paramref name="node"/> reads from the scope it lives in, inputs first.</summary>
    public static string[] NodeReads(NodeProto node)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var reads = new List<string>(node.Input.Count);
        foreach (string input in node.Input)
        {
            if (input.Length != 0 && seen.Add(input))
            {
                reads.Add(input);
            }
        }

        foreach (AttributeProto attribute in node.Attribute)
        {
            if (attribute.G is not null)
            {
                AddGraphReferences(attribute.G, seen, reads);
            }

            foreach (GraphProto graph in attribute.Graphs)
            {
                AddGraphReferences(graph, seen, reads);
            }
        }

        return [.. reads];
    }

    // A subgraph may refer to names of any enclosing scope; whatever it neither defines itself nor receives as a
    // formal input comes from outside. Order inside the subgraph does not matter for this question.
    private static void AddGraphReferences(GraphProto graph, HashSet<string> seen, List<string> reads)
    {
        var defined = new HashSet<string>(StringComparer.Ordinal);
        foreach (ValueInfoProto input in graph.Input)
        {
            defined.Add(input.Name);
        }

        foreach (TensorProto initializer in graph.Initializer)
        {
            defined.Add(initializer.Name);
        }

        foreach (SparseTensorProto sparse in graph.SparseInitializer)
        {
            if (sparse.Values is not null)
            {
                defined.Add(sparse.Values.Name);
            }
        }

        foreach (NodeProto node in graph.Node)
        {
            foreach (string output in node.Output)
            {
                if (output.Length != 0)
                {
                    defined.Add(output);
                }
            }
        }

        foreach (NodeProto node in graph.Node)
        {
            foreach (string name in NodeReads(node))
            {
                if (!defined.Contains(name) && seen.Add(name))
                {
                    reads.Add(name);
                }
            }
        }
    }
}
