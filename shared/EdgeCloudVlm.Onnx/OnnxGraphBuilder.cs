using EdgeCloudVlm.Onnx.Proto;

namespace EdgeCloudVlm.Onnx;

/// <summary>
/// Builds an ONNX model in code: declare inputs and outputs, add weights and nodes in topological order, then
/// <see cref="Build"/> a validated <see cref="ModelProto"/>.
/// </summary>
/// <example>
/// <code>
/// ModelProto model = new OnnxGraphBuilder("relu")
///     .AddInput("x", TensorProto.Types.DataType.Float, "batch", 4)
///     .AddOutput("y", TensorProto.Types.DataType.Float, "batch", 4)
///     .AddNode("Relu", ["x"], ["y"])
///     .Build();
/// </code>
/// </example>
public sealed class OnnxGraphBuilder
{
    /// <summary>IR version written into built models (ONNX 1.10+, understood by every current runtime).</summary>
    public const long IrVersion = 8;

    /// <summary>Opset of the default ONNX domain imported unless <see cref="ImportOpset"/> says otherwise.</summary>
    public const long DefaultOpsetVersion = 17;

    /// <summary>Value of <c>producer_name</c> in built models.</summary>
    public const string ProducerName = "EdgeCloudVlm.Onnx";

    private readonly string _graphName;
    private readonly List<ValueInfoProto> _inputs = [];
    private readonly List<ValueInfoProto> _outputs = [];
    private readonly List<TensorProto> _initializers = [];
    private readonly List<NodeProto> _nodes = [];
    private readonly Dictionary<string, long> _opsets = new(StringComparer.Ordinal) { [string.Empty] = DefaultOpsetVersion };
    private readonly List<StringStringEntryProto> _metadata = [];

    /// <summary>Starts an empty graph.</summary>
    /// <param name="graphName">Name of the graph (and of the model's main computation).</param>
    public OnnxGraphBuilder(string graphName)
    {
        ArgumentException.ThrowIfNullOrEmpty(graphName);
        _graphName = graphName;
    }

    /// <summary>Declares a tensor input of the graph.</summary>
    /// <param name="name">Value name.</param>
    /// <param name="elementType">Element type.</param>
    /// <param name="shape">Dimensions, fixed or symbolic.</param>
    /// <returns>This builder.</returns>
    public OnnxGraphBuilder AddInput(string name, TensorProto.Types.DataType elementType, params ReadOnlySpan<OnnxDim> shape)
    {
        _inputs.Add(TensorValue(name, elementType, shape));
        return this;
    }

    /// <summary>Declares a tensor output of the graph; a node must produce it.</summary>
    /// <param name="name">Value name.</param>
    /// <param name="elementType">Element type.</param>
    /// <param name="shape">Dimensions, fixed or symbolic.</param>
    /// <returns>This builder.</returns>
    public OnnxGraphBuilder AddOutput(string name, TensorProto.Types.DataType elementType, params ReadOnlySpan<OnnxDim> shape)
    {
        _outputs.Add(TensorValue(name, elementType, shape));
        return this;
    }

    /// <summary>Adds a FLOAT initializer (a weight).</summary>
    /// <param name="name">Value name.</param>
    /// <param name="values">Elements in row-major order.</param>
    /// <param name="dims">Dimensions (empty for a scalar).</param>
    /// <returns>This builder.</returns>
    public OnnxGraphBuilder AddInitializer(string name, ReadOnlySpan<float> values, params ReadOnlySpan<long> dims) =>
        AddInitializer(OnnxTensor.FromFloats(name, values, dims));

    /// <summary>Adds an INT64 initializer (a shape, axes or indices).</summary>
    /// <param name="name">Value name.</param>
    /// <param name="values">Elements in row-major order.</param>
    /// <param name="dims">Dimensions (empty for a scalar).</param>
    /// <returns>This builder.</returns>
    public OnnxGraphBuilder AddInt64Initializer(string name, ReadOnlySpan<long> values, params ReadOnlySpan<long> dims) =>
        AddInitializer(OnnxTensor.FromInt64s(name, values, dims));

    /// <summary>Adds an initializer of any type.</summary>
    /// <param name="tensor">The named tensor.</param>
    /// <returns>This builder.</returns>
    public OnnxGraphBuilder AddInitializer(TensorProto tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentException.ThrowIfNullOrEmpty(tensor.Name, nameof(tensor));
        _initializers.Add(tensor);
        return this;
    }

    /// <summary>Appends a node of the default ONNX domain; nodes must be added in topological order.</summary>
    /// <param name="opType">Operator name, for example <c>"MatMul"</c>.</param>
    /// <param name="inputs">Input value names; an empty string omits an optional input.</param>
    /// <param name="outputs">Output value names.</param>
    /// <param name="attributes">Attributes, see <see cref="OnnxAttribute"/>.</param>
    /// <returns>This builder.</returns>
    public OnnxGraphBuilder AddNode(
        string opType, ReadOnlySpan<string> inputs, ReadOnlySpan<string> outputs, params ReadOnlySpan<AttributeProto> attributes)
    {
        ArgumentException.ThrowIfNullOrEmpty(opType);
        var node = new NodeProto { OpType = opType, Name = opType + "_" + _nodes.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        foreach (string input in inputs)
        {
            node.Input.Add(input);
        }

        foreach (string output in outputs)
        {
            node.Output.Add(output);
        }

        foreach (AttributeProto attribute in attributes)
        {
            node.Attribute.Add(attribute);
        }

        return AddNode(node);
    }

    /// <summary>Appends a fully specified node (for example one of another domain).</summary>
    /// <param name="node">The node.</param>
    /// <returns>This builder.</returns>
    public OnnxGraphBuilder AddNode(NodeProto node)
    {
        ArgumentNullException.ThrowIfNull(node);
        _nodes.Add(node);
        return this;
    }

    /// <summary>Imports (or changes the version of) an operator set.</summary>
    /// <param name="domain">Operator domain; empty for the default ONNX domain.</param>
    /// <param name="version">Opset version.</param>
    /// <returns>This builder.</returns>
    public OnnxGraphBuilder ImportOpset(string domain, long version)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        _opsets[domain] = version;
        return this;
    }

    /// <summary>Adds a model-level metadata entry (<c>metadata_props</c>).</summary>
    /// <param name="key">Entry key.</param>
    /// <param name="value">Entry value.</param>
    /// <returns>This builder.</returns>
    public OnnxGraphBuilder AddMetadata(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        _metadata.Add(new StringStringEntryProto { Key = key, Value = value });
        return this;
    }

    /// <summary>Validates the graph and creates the model.</summary>
    /// <remarks>
    /// Checks that every value has one producer (input, initializer or node output), that every node input is produced
    /// before it is used, and that every graph output is produced. The builder can be reused; each call returns a new
    /// model (weights are shared, as protobuf byte strings are immutable).
    /// </remarks>
    /// <returns>A model with IR version <see cref="IrVersion"/>.</returns>
    /// <exception cref="InvalidOperationException">The graph is not well formed.</exception>
    public ModelProto Build()
    {
        Validate();
        var graph = new GraphProto { Name = _graphName };
        foreach (ValueInfoProto input in _inputs)
        {
            graph.Input.Add(input.Clone());
        }

        foreach (ValueInfoProto output in _outputs)
        {
            graph.Output.Add(output.Clone());
        }

        foreach (TensorProto initializer in _initializers)
        {
            graph.Initializer.Add(initializer.Clone());
        }

        foreach (NodeProto node in _nodes)
        {
            graph.Node.Add(node.Clone());
        }

        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = ProducerName,
            Graph = graph,
        };
        foreach (KeyValuePair<string, long> opset in _opsets)
        {
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = opset.Key, Version = opset.Value });
        }

        foreach (StringStringEntryProto entry in _metadata)
        {
            model.MetadataProps.Add(entry.Clone());
        }

        return model;
    }

    private void Validate()
    {
        var defined = new HashSet<string>(StringComparer.Ordinal);
        foreach (ValueInfoProto input in _inputs)
        {
            Define(defined, input.Name, "graph input");
        }

        foreach (TensorProto initializer in _initializers)
        {
            Define(defined, initializer.Name, "initializer");
        }

        foreach (NodeProto node in _nodes)
        {
            foreach (string input in node.Input)
            {
                if (input.Length != 0 && !defined.Contains(input))
                {
                    throw new InvalidOperationException(
                        $"Node '{node.Name}' ({node.OpType}) reads '{input}', which no input, initializer or earlier node defines.");
                }
            }

            foreach (string output in node.Output)
            {
                if (output.Length != 0)
                {
                    Define(defined, output, $"output of node '{node.Name}'");
                }
            }
        }

        if (_outputs.Count == 0)
        {
            throw new InvalidOperationException($"Graph '{_graphName}' declares no outputs.");
        }

        foreach (ValueInfoProto output in _outputs)
        {
            if (!defined.Contains(output.Name))
            {
                throw new InvalidOperationException($"Graph output '{output.Name}' is never produced.");
            }
        }
    }

    private static void Define(HashSet<string> defined, string name, string what)
    {
        if (!defined.Add(name))
        {
            throw new InvalidOperationException($"Value '{name}' ({what}) is defined more than once.");
        }
    }

    private static ValueInfoProto TensorValue(string name, TensorProto.Types.DataType elementType, ReadOnlySpan<OnnxDim> shape)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var tensorShape = new TensorShapeProto();
        foreach (OnnxDim dim in shape)
        {
            tensorShape.Dim.Add(dim.ToProto());
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)elementType, Shape = tensorShape } },
        };
    }
}
