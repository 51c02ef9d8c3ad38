using EdgeCloudVlm.Onnx.Proto;

namespace EdgeCloudVlm.Onnx.Splitting;

/// <summary>
/// Which nodes, graph inputs and initializers go to each side of a cut. The head is everything the cut tensors
/// depend on; the tail is everything the graph outputs depend on that is not in the head, reading the cut tensors
/// instead of recomputing them.
/// </summary>
internal sealed class SplitPlan
{
    private SplitPlan(int nodeCount)
    {
        InHead = new bool[nodeCount];
        InTail = new bool[nodeCount];
    }

    public bool[] InHead { get; }

    public bool[] InTail { get; }

    /// <summary>Graph inputs and initializers the head reads.</summary>
    public HashSet<string> HeadSources { get; } = new(StringComparer.Ordinal);

    /// <summary>Graph inputs and initializers the tail reads.</summary>
    public HashSet<string> TailSources { get; } = new(StringComparer.Ordinal);

    /// <summary>Cut tensors the tail reads or outputs.</summary>
    public HashSet<string> CutTensorsUsed { get; } = new(StringComparer.Ordinal);

    /// <summary>Head tensors, other than the cut tensors, that the tail reads, in topological order.</summary>
    public List<string> ExtraCrossing { get; } = [];

    /// <summary>For each extra crossing tensor, who in the tail reads it (node descriptions or "graph output").</summary>
    public Dictionary<string, List<string>> ExtraReaders { get; } = new(StringComparer.Ordinal);

    public int HeadNodeCount { get; private set; }

    public int TailNodeCount { get; private set; }

    public static SplitPlan Create(GraphIndex index, IReadOnlyList<string> cutTensors)
    {
        var plan = new SplitPlan(index.Graph.Node.Count);
        plan.CollectHead(index, cutTensors);
        plan.CollectTail(index, cutTensors);
        plan.OrderExtraCrossing(index);
        return plan;
    }

    private void CollectHead(GraphIndex index, IReadOnlyList<string> cutTensors)
    {
        var pending = new Stack<string>(cutTensors);
        var visited = new HashSet<string>(StringComparer.Ordinal);
        while (pending.TryPop(out string? name))
        {
            if (!visited.Add(name))
            {
                continue;
            }

            if (index.Producer.TryGetValue(name, out int node))
            {
                if (!InHead[node])
                {
                    InHead[node] = true;
                    HeadNodeCount++;
                    foreach (string read in index.Reads[node])
                    {
                        pending.Push(read);
                    }
                }
            }
            else
            {
                HeadSources.Add(name);
            }
        }
    }

    private void CollectTail(GraphIndex index, IReadOnlyList<string> cutTensors)
    {
        var cut = new HashSet<string>(cutTensors, StringComparer.Ordinal);
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<(string Name, string Reader)>();
        GraphProto graph = index.Graph;
        for (int i = graph.Output.Count - 1; i >= 0; i--)
        {
            pending.Push((graph.Output[i].Name, "graph output"));
        }

        while (pending.TryPop(out (string Name, string Reader) item))
        {
            (string name, string reader) = item;
            if (cut.Contains(name))
            {
                CutTensorsUsed.Add(name);
                continue;
            }

            bool computed = index.Producer.TryGetValue(name, out int node);
            if (computed && InHead[node])
            {
                // Computed by the head but needed here through a path that avoids the cut tensors.
                if (!ExtraReaders.TryGetValue(name, out List<string>? readers))
                {
                    readers = [];
                    ExtraReaders[name] = readers;
                    ExtraCrossing.Add(name);
                }

                if (!readers.Contains(reader))
                {
                    readers.Add(reader);
                }

                continue;
            }

            if (!visited.Add(name))
            {
                continue;
            }

            if (computed)
            {
                InTail[node] = true;
                TailNodeCount++;
                string description = "node " + GraphIndex.Describe(graph.Node[node]);
                foreach (string read in index.Reads[node])
                {
                    pending.Push((read, description));
                }
            }
            else
            {
                TailSources.Add(name);
            }
        }
    }

    private void OrderExtraCrossing(GraphIndex index)
    {
        var position = new int[index.Order.Length];
        for (int i = 0; i < index.Order.Length; i++)
        {
            position[index.Order[i]] = i;
        }

        GraphProto graph = index.Graph;
        ExtraCrossing.Sort((a, b) =>
        {
            int nodeA = index.Producer[a];
            int nodeB = index.Producer[b];
            return nodeA == nodeB
                ? graph.Node[nodeA].Output.IndexOf(a).CompareTo(graph.Node[nodeB].Output.IndexOf(b))
                : position[nodeA].CompareTo(position[nodeB]);
        });
    }
}
