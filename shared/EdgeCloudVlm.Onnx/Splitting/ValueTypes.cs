using EdgeCloudVlm.Onnx.Proto;

namespace EdgeCloudVlm.Onnx.Splitting;

/// <summary>
/// What a top-level graph says about the type of each value: the declarations in <c>input</c>, <c>output</c> and
/// <c>value_info</c>, the types of initializers, and element types inferred through <see cref="ElementTypeRules"/>
/// where nothing is declared.
/// </summary>
internal sealed class ValueTypes
{
    private readonly Dictionary<string, TypeProto> _declared = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _elementTypes = new(StringComparer.Ordinal);

    private ValueTypes()
    {
    }

    /// <summary>Collects declared types and infers missing element types in topological order.</summary>
    public static ValueTypes Build(GraphIndex index)
    {
        var types = new ValueTypes();
        GraphProto graph = index.Graph;

        // Graph inputs and outputs are the authoritative declarations; value_info only fills the gaps.
        foreach (ValueInfoProto value in graph.Input)
        {
            types.Declare(value);
        }

        foreach (ValueInfoProto value in graph.Output)
        {
            types.Declare(value);
        }

        foreach (ValueInfoProto value in graph.ValueInfo)
        {
            types.Declare(value);
        }

        foreach (TensorProto initializer in graph.Initializer)
        {
            types.DeclareTensor(initializer.Name, initializer.DataType, initializer.Dims);
        }

        foreach (SparseTensorProto sparse in graph.SparseInitializer)
        {
            if (sparse.Values is not null)
            {
                types.DeclareTensor(sparse.Values.Name, sparse.Values.DataType, sparse.Dims);
            }
        }

        Func<string, int> typeOf = types.ElementType;
        foreach (int nodeIndex in index.Order)
        {
            NodeProto node = graph.Node[nodeIndex];
            for (int i = 0; i < node.Output.Count; i++)
            {
                string output = node.Output[i];
                if (output.Length != 0 && !types._elementTypes.ContainsKey(output)
                    && ElementTypeRules.Infer(node, i, typeOf) is var inferred and not 0)
                {
                    types._elementTypes[output] = inferred;
                }
            }
        }

        return types;
    }

    /// <summary>The element type of a tensor value, or 0 when unknown.</summary>
    public int ElementType(string name) => _elementTypes.GetValueOrDefault(name);

    /// <summary>
    /// The type to declare for <paramref name="name"/> at a graph boundary: the declared one, else a tensor of the
    /// inferred element type with unknown rank, else <see langword="null"/>.
    /// </summary>
    public TypeProto? BoundaryType(string name)
    {
        if (_declared.TryGetValue(name, out TypeProto? declared))
        {
            return declared.Clone();
        }

        int elementType = ElementType(name);
        return elementType == 0 ? null : new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elementType } };
    }

    /// <summary>The known shape of a tensor value, or <see langword="null"/> when its rank is unknown.</summary>
    public IReadOnlyList<OnnxDim>? Shape(string name)
    {
        if (!_declared.TryGetValue(name, out TypeProto? type) || type.TensorType?.Shape is not { } shape)
        {
            return null;
        }

        var dims = new OnnxDim[shape.Dim.Count];
        for (int i = 0; i < dims.Length; i++)
        {
            TensorShapeProto.Types.Dimension dim = shape.Dim[i];
            dims[i] = dim.ValueCase switch
            {
                TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue when dim.DimValue >= 0 => OnnxDim.Fixed(dim.DimValue),
                TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam when dim.DimParam.Length != 0 => OnnxDim.Symbolic(dim.DimParam),
                _ => default,
            };
        }

        return dims;
    }

    private void Declare(ValueInfoProto value)
    {
        if (value.Type is null || value.Name.Length == 0)
        {
            return;
        }

        if (_declared.TryGetValue(value.Name, out TypeProto? existing))
        {
            // Keep the first declaration unless it lacks a shape the later one has.
            if (existing.TensorType is { Shape: null } && value.Type.TensorType?.Shape is not null)
            {
                _declared[value.Name] = value.Type;
            }
        }
        else
        {
            _declared[value.Name] = value.Type;
        }

        if (value.Type.TensorType is { ElemType: not 0 } tensor)
        {
            _elementTypes.TryAdd(value.Name, tensor.ElemType);
        }
    }

    private void DeclareTensor(string name, int elementType, IEnumerable<long> dims)
    {
        var shape = new TensorShapeProto();
        foreach (long dim in dims)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = dim });
        }

        _declared.TryAdd(name, new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elementType, Shape = shape } });
        _elementTypes.TryAdd(name, elementType);
    }
}
