using EdgeCloudVlm.Onnx.Proto;

namespace EdgeCloudVlm.Onnx;

/// <summary>
/// One dimension of a declared tensor shape: a fixed size, a symbolic name (such as <c>"batch"</c>) or, as the
/// default value, unknown.
/// </summary>
/// <remarks>Converts implicitly from integers and strings so shapes read naturally: <c>("batch", 577, 1024)</c>.</remarks>
public readonly record struct OnnxDim
{
    private OnnxDim(long? value, string? param)
    {
        Value = value;
        Param = param;
    }

    /// <summary>The fixed size, or <see langword="null"/> for a symbolic or unknown dimension.</summary>
    public long? Value { get; }

    /// <summary>The symbolic name, or <see langword="null"/> for a fixed or unknown dimension.</summary>
    public string? Param { get; }

    /// <summary>Creates a fixed-size dimension.</summary>
    /// <param name="value">The size; zero or more.</param>
    /// <returns>The dimension.</returns>
    public static OnnxDim Fixed(long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        return new OnnxDim(value, null);
    }

    /// <summary>Creates a symbolic dimension; dimensions with the same name are equal at run time.</summary>
    /// <param name="name">The symbol, for example <c>"batch"</c>.</param>
    /// <returns>The dimension.</returns>
    public static OnnxDim Symbolic(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new OnnxDim(null, name);
    }

    /// <summary>Converts a size into a fixed dimension.</summary>
    /// <param name="value">The size.</param>
    public static implicit operator OnnxDim(long value) => Fixed(value);

    /// <summary>Converts a name into a symbolic dimension.</summary>
    /// <param name="name">The symbol.</param>
    public static implicit operator OnnxDim(string name) => Symbolic(name);

    /// <summary>Creates the protobuf form of this dimension.</summary>
    /// <returns>A dimension with <c>dim_value</c>, <c>dim_param</c> or neither set.</returns>
    public TensorShapeProto.Types.Dimension ToProto()
    {
        var dimension = new TensorShapeProto.Types.Dimension();
        if (Value is long value)
        {
            dimension.DimValue = value;
        }
        else if (Param is not null)
        {
            dimension.DimParam = Param;
        }

        return dimension;
    }

    /// <inheritdoc/>
    public override string ToString() => Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Param ?? "?";
}
