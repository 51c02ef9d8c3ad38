using EdgeCloudVlm.Onnx.Proto;

namespace EdgeCloudVlm.Onnx.Splitting;

/// <summary>Who defines and who reads each value of a top-level graph, and a topological order of its nodes.</summary>
internal sealed class GraphIndex
{
    private GraphIndex(GraphProto graph)
    {
        Graph = graph;
        Reads = new string[graph.Node.Count][];
    }

    public GraphProto Graph { get; }

    /// <summary>Node index of the producer of each node output.</summary>
    public Dictionary<string, int> Producer { get; } = new(StringComparer.Ordinal);

    /// <summary>Names declared in <c>graph.input</c> (with IR version 3 this includes initializers).</summary>
    public HashSet<string> GraphInputs { get; } = new(StringComparer.Ordinal);

    /// <summary>Names of dense and sparse initializers.</summary>
    public HashSet<string> Initializers { get; } = new(StringComparer.Ordinal);

    /// <summary>Names of <c>graph.output</c>.</summary>
    public HashSet<string> GraphOutputs { get; } = new(StringComparer.Ordinal);

    /// <summary>Per node: the distinct names it reads, outer-scope references of its subgraphs included.</summary>
    public string[][] Reads { get; }

    /// <summary>Node indices in an order where every producer precedes its readers; the file's order when it already is one.</summary>
    public int[] Order { get; private set; } = [];

    /// <summary>Indexes <paramref name="graph"/>.</summary>
    /// <exception cref="OnnxSplitException">A value is defined twice, read but never defined, or the nodes form a cycle.</exception>
    public static GraphIndex Build(GraphProto graph)
    {
        var index = new GraphIndex(graph);
        foreach (ValueInfoProto input in graph.Input)
        {
            index.GraphInputs.Add(input.Name);
        }

        foreach (TensorProto initializer in graph.Initializer)
        {
            index.Initializers.Add(initializer.Name);
        }

        foreach (SparseTensorProto sparse in graph.SparseInitializer)
        {
            if (sparse.Values is not null)
            {
                index.Initializers.Add(sparse.Values.Name);
            }
        }

        foreach (ValueInfoProto output in graph.Output)
        {
            index.GraphOutputs.Add(output.Name);
        }

        for (int i = 0; i < graph.Node.Count; i++)
        {
            NodeProto node = graph.Node[i];
            foreach (string output in node.Output)
            {
                if (output.Length == 0)
                {
                    continue;
                }

                if (!index.Producer.TryAdd(output, i) || index.GraphInputs.Contains(output) || index.Initializers.Contains(output))
                {
                    throw new OnnxSplitException($"Value '{output}' is defined more than once (again by node {Describe(node)}); the model is not valid ONNX.");
                }
            }

            index.Reads[i] = OuterScopeReferences.NodeReads(node);
        }

        index.Order = index.SortTopologically();
        return index;
    }

    /// <summary>Whether <paramref name="name"/> comes from outside the nodes: a graph input or an initializer.</summary>
    public bool IsSource(string name) => GraphInputs.Contains(name) || Initializers.Contains(name);

    /// <summary>A short description of a node for messages: its name (when it has one) and operator.</summary>
    public static string Describe(NodeProto node) =>
        node.Name.Length == 0 ? $"({node.OpType})" : $"'{node.Name}' ({node.OpType})";

    // Kahn's algorithm taking the lowest file position first, so an already sorted graph keeps its order exactly.
    private int[] SortTopologically()
    {
        int count = Graph.Node.Count;
        var pending = new int[count];
        var readers = new List<int>?[count];
        for (int i = 0; i < count; i++)
        {
            foreach (string name in Reads[i])
            {
                if (Producer.TryGetValue(name, out int producer))
                {
                    pending[i]++;
                    (readers[producer] ??= []).Add(i);
                }
                else if (!IsSource(name))
                {
                    throw new OnnxSplitException(
                        $"Node {Describe(Graph.Node[i])} reads '{name}', which no graph input, initializer or node defines; the model is not valid ONNX.");
                }
            }
        }

        var ready = new PriorityQueue<int, int>();
        for (int i = 0; i < count; i++)
        {
            if (pending[i] == 0)
            {
                ready.Enqueue(i, i);
            }
        }

        var order = new int[count];
        int written = 0;
        while (ready.TryDequeue(out int node, out _))
        {
            order[written++] = node;
            if (readers[node] is { } list)
            {
                foreach (int reader in list)
                {
                    if (--pending[reader] == 0)
                    {
                        ready.Enqueue(reader, reader);
                    }
                }
            }
        }

        if (written != count)
        {
            for (int i = 0; i < count; i++)
            {
                if (pending[i] != 0)
                {
                    throw new OnnxSplitException($"The graph has a cycle through node {Describe(Graph.Node[i])}; the model is not valid ONNX.");
                }
            }
        }

        return order;
    }
}
