using System.Text;
using EdgeCloudVlm.Onnx.Proto;

namespace EdgeCloudVlm.Onnx.Splitting;

/// <summary>
/// Cuts an ONNX model at intermediate tensors into a head (graph inputs to those tensors) and a tail (those tensors
/// to the original outputs), so that running the head and feeding its outputs to the tail computes what the whole
/// model computes.
/// </summary>
/// <remarks>
/// <para>
/// The head holds exactly the nodes the cut tensors depend on; the tail holds the nodes the graph outputs depend on
/// that the head does not compute. Nodes keep their relative (topological) order. Initializers go to the side that
/// reads them, to both when both do. Outer-scope values read inside If, Loop and Scan bodies count as reads of the
/// node that owns the body. IR version, opset imports, producer, domain, model version, metadata and functions are
/// copied to both models; training information is dropped; the metadata entries <c>edgecloudvlm.split.part</c> and
/// <c>edgecloudvlm.split.tensors</c> are added.
/// </para>
/// <para>
/// Crossing tensors are declared with their type from <c>value_info</c> (or the graph outputs). Without one they are
/// declared with their element type, inferred for default-domain operators, and unknown rank; when even the element
/// type cannot be known the split fails and asks for ONNX shape inference to be run on the model first.
/// </para>
/// </remarks>
public static class OnnxModelSplitter
{
    private const int SuggestionCount = 5;

    /// <summary>Splits <paramref name="model"/> at one tensor.</summary>
    /// <param name="model">The model; it is not modified.</param>
    /// <param name="tensorName">Name of a tensor produced by a node of the main graph.</param>
    /// <param name="options">Options; <see langword="null"/> for the defaults.</param>
    /// <returns>Head, tail and report.</returns>
    /// <exception cref="OnnxSplitException">
    /// The name is unknown (the message suggests close names) or not computed by a node, the tail needs other head
    /// tensors and <see cref="OnnxSplitOptions.AllowExtraCrossingTensors"/> is off, a crossing tensor's element type
    /// is unknown, or the graph is not valid ONNX.
    /// </exception>
    public static OnnxSplitResult Split(ModelProto model, string tensorName, OnnxSplitOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(tensorName);
        return Split(model, [tensorName], options);
    }

    /// <summary>Splits <paramref name="model"/> at several tensors that cross together, such as the parts of a residual stream.</summary>
    /// <param name="model">The model; it is not modified.</param>
    /// <param name="tensorNames">Names of tensors produced by nodes of the main graph; they become the head outputs in this order.</param>
    /// <param name="options">Options; <see langword="null"/> for the defaults.</param>
    /// <returns>Head, tail and report.</returns>
    /// <exception cref="ArgumentException">No names, an empty name, or a name given twice.</exception>
    /// <exception cref="OnnxSplitException">See <see cref="Split(ModelProto, string, OnnxSplitOptions?)"/>.</exception>
    public static OnnxSplitResult Split(ModelProto model, IReadOnlyList<string> tensorNames, OnnxSplitOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tensorNames);
        options ??= new OnnxSplitOptions();
        CheckNames(tensorNames);
        GraphProto graph = model.Graph ?? throw new OnnxSplitException("The model has no graph.");

        GraphIndex index = GraphIndex.Build(graph);
        CheckCutTensors(index, tensorNames);
        SplitPlan plan = SplitPlan.Create(index, tensorNames);
        if (plan.ExtraCrossing.Count != 0 && !options.AllowExtraCrossingTensors)
        {
            throw NotClean(plan, tensorNames);
        }

        ValueTypes types = ValueTypes.Build(index);
        var crossingNames = new List<string>(tensorNames.Count + plan.ExtraCrossing.Count);
        crossingNames.AddRange(tensorNames);
        crossingNames.AddRange(plan.ExtraCrossing);
        var crossing = new List<ValueInfoProto>(crossingNames.Count);
        foreach (string name in crossingNames)
        {
            crossing.Add(Boundary(index, types, name));
        }

        var tailOutputs = new List<ValueInfoProto>(graph.Output.Count);
        foreach (ValueInfoProto output in graph.Output)
        {
            tailOutputs.Add(output.Clone());
        }

        GraphProto headGraph = PartBuilder.BuildGraph(
            index, options.HeadGraphName ?? graph.Name + "_head", plan.InHead, plan.HeadSources, [], Clones(crossing), out long headBytes);
        GraphProto tailGraph = PartBuilder.BuildGraph(
            index, options.TailGraphName ?? graph.Name + "_tail", plan.InTail, plan.TailSources, Clones(crossing), tailOutputs, out long tailBytes);
        string crossingList = string.Join(',', crossingNames);
        ModelProto head = PartBuilder.BuildModel(model, headGraph, "head", crossingList);
        ModelProto tail = PartBuilder.BuildModel(model, tailGraph, "tail", crossingList);

        return new OnnxSplitResult(head, tail, Report(index, types, plan, tensorNames, headBytes, tailBytes));
    }

    private static void CheckNames(IReadOnlyList<string> tensorNames)
    {
        if (tensorNames.Count == 0)
        {
            throw new ArgumentException("At least one tensor name is required.", nameof(tensorNames));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string name in tensorNames)
        {
            if (string.IsNullOrEmpty(name))
            {
                throw new ArgumentException("Tensor names must not be empty.", nameof(tensorNames));
            }

            if (!seen.Add(name))
            {
                throw new ArgumentException($"Tensor '{name}' is named more than once.", nameof(tensorNames));
            }
        }
    }

    private static void CheckCutTensors(GraphIndex index, IReadOnlyList<string> tensorNames)
    {
        var unknown = new List<string>();
        foreach (string name in tensorNames)
        {
            if (index.Producer.ContainsKey(name))
            {
                continue;
            }

            if (index.Initializers.Contains(name))
            {
                throw new OnnxSplitException(OnnxSplitErrorKind.NotComputed,
                    $"'{name}' is an initializer (a weight), not a tensor computed by the model; split at a tensor some node produces.", [name], []);
            }

            if (index.GraphInputs.Contains(name))
            {
                throw new OnnxSplitException(OnnxSplitErrorKind.NotComputed,
                    $"'{name}' is a graph input, not a tensor computed by the model; split at a tensor some node produces.", [name], []);
            }

            unknown.Add(name);
        }

        if (unknown.Count == 0)
        {
            return;
        }

        var message = new StringBuilder();
        var suggestions = new List<string>();
        foreach (string name in unknown)
        {
            IReadOnlyList<string> close = NameSuggestions.Closest(name, index.Order.SelectMany(i => index.Graph.Node[i].Output).Where(o => o.Length != 0), SuggestionCount);
            message.Append(message.Length == 0 ? string.Empty : " ").Append($"No tensor named '{name}' in the model.");
            if (close.Count != 0)
            {
                message.Append(" Did you mean ").AppendJoin(", ", close.Select(c => "'" + c + "'")).Append('?');
                suggestions.AddRange(close);
            }
        }

        throw new OnnxSplitException(OnnxSplitErrorKind.UnknownTensor, message.ToString(), unknown, suggestions);
    }

    private static OnnxSplitException NotClean(SplitPlan plan, IReadOnlyList<string> tensorNames)
    {
        var message = new StringBuilder()
            .Append("Cutting at ").AppendJoin(", ", tensorNames.Select(n => "'" + n + "'"))
            .Append(" is not a clean cut: the tail also needs ");
        for (int i = 0; i < plan.ExtraCrossing.Count; i++)
        {
            string name = plan.ExtraCrossing[i];
            message.Append(i == 0 ? string.Empty : "; ").Append('\'').Append(name).Append("' (read by ")
                .AppendJoin(", ", plan.ExtraReaders[name]).Append(')');
        }

        message.Append(", which the head computes. Add ").Append(plan.ExtraCrossing.Count == 1 ? "it" : "them")
            .Append(" to the cut tensors, choose another split point, or allow extra crossing tensors.");
        return new OnnxSplitException(OnnxSplitErrorKind.NotCleanCut, message.ToString(), [.. plan.ExtraCrossing], []);
    }

    private static ValueInfoProto Boundary(GraphIndex index, ValueTypes types, string name)
    {
        TypeProto type = types.BoundaryType(name) ?? throw new OnnxSplitException(
            OnnxSplitErrorKind.UnknownType,
            $"The type of crossing tensor '{name}' (output of node {GraphIndex.Describe(index.Graph.Node[index.Producer[name]])}) is unknown: " +
            "the model declares no value_info for it and the operator's typing rule is not known here. " +
            "Run ONNX shape inference on the model and split it again.",
            [name],
            []);
        return new ValueInfoProto { Name = name, Type = type };
    }

    private static List<ValueInfoProto> Clones(List<ValueInfoProto> values) => values.ConvertAll(v => v.Clone());

    private static OnnxSplitReport Report(
        GraphIndex index, ValueTypes types, SplitPlan plan, IReadOnlyList<string> tensorNames, long headBytes, long tailBytes)
    {
        var cut = new List<OnnxTensorInfo>(tensorNames.Count);
        var unused = new List<string>();
        foreach (string name in tensorNames)
        {
            cut.Add(OnnxModelInspector.Describe(index, types, name));
            if (!plan.CutTensorsUsed.Contains(name))
            {
                unused.Add(name);
            }
        }

        var extra = plan.ExtraCrossing.ConvertAll(name => OnnxModelInspector.Describe(index, types, name));
        var headInputs = new List<string>();
        var tailInputs = new List<string>();
        foreach (ValueInfoProto input in index.Graph.Input)
        {
            // Initializers listed as inputs are weights, not data a caller supplies.
            if (index.Initializers.Contains(input.Name))
            {
                continue;
            }

            if (plan.HeadSources.Contains(input.Name))
            {
                headInputs.Add(input.Name);
            }

            if (plan.TailSources.Contains(input.Name))
            {
                tailInputs.Add(input.Name);
            }
        }

        var shared = new List<string>();
        foreach (string name in plan.HeadSources)
        {
            if (index.Initializers.Contains(name) && plan.TailSources.Contains(name))
            {
                shared.Add(name);
            }
        }

        shared.Sort(StringComparer.Ordinal);
        int dropped = index.Graph.Node.Count - plan.HeadNodeCount - plan.TailNodeCount;
        return new OnnxSplitReport(
            cut, extra, unused, headInputs, tailInputs, plan.HeadNodeCount, plan.TailNodeCount, dropped, headBytes, tailBytes, shared);
    }
}
