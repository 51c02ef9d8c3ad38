using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeCloudVlm.Inference.Manifest;

/// <summary>One dimension of a tensor shape in <c>model.json</c>: a fixed size or a symbolic name such as <c>batch</c>.</summary>
[JsonConverter(typeof(TensorDimJsonConverter))]
public readonly record struct TensorDim
{
    private TensorDim(long? size, string? symbol)
    {
        Size = size;
        Symbol = symbol;
    }

    /// <summary>The fixed size, or <see langword="null"/> for a symbolic dimension.</summary>
    public long? Size { get; }

    /// <summary>The symbolic name, or <see langword="null"/> for a fixed dimension.</summary>
    public string? Symbol { get; }

    /// <summary>Whether the dimension has a fixed size.</summary>
    public bool IsFixed => Size.HasValue;

    /// <summary>A fixed dimension.</summary>
    public static TensorDim Fixed(long size) => size >= 0
        ? new TensorDim(size, null)
        : throw new ArgumentOutOfRangeException(nameof(size), size, "A fixed dimension cannot be negative.");

    /// <summary>A symbolic (dynamic) dimension.</summary>
    public static TensorDim Symbolic(string symbol) => string.IsNullOrWhiteSpace(symbol)
        ? throw new ArgumentException("A symbolic dimension needs a name.", nameof(symbol))
        : new TensorDim(null, symbol);

    /// <inheritdoc />
    public override string ToString() => Size?.ToString(CultureInfo.InvariantCulture) ?? Symbol ?? "?";
}

/// <summary>Reads a dimension written as a JSON number or a JSON string.</summary>
internal sealed class TensorDimJsonConverter : JsonConverter<TensorDim>
{
    public override TensorDim Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number when reader.TryGetInt64(out long size) && size >= 0:
                return TensorDim.Fixed(size);
            case JsonTokenType.String when !string.IsNullOrWhiteSpace(reader.GetString()):
                return TensorDim.Symbolic(reader.GetString()!);
            default:
                throw new JsonException("a dimension must be a non-negative integer or a non-empty name");
        }
    }

    public override void Write(Utf8JsonWriter writer, TensorDim value, JsonSerializerOptions options)
    {
        if (value.Size is long size)
        {
            writer.WriteNumberValue(size);
        }
        else
        {
            writer.WriteStringValue(value.Symbol);
        }
    }
}
