using System.Text.Json.Serialization;

namespace EdgeCloudVlm.Inference.Manifest;

/// <summary>One ONNX file of the model with the inputs and outputs the runtime relies on.</summary>
public sealed record ModelPart
{
    /// <summary>The part's key in <c>model.json</c> (e.g. <c>decoder</c>).</summary>
    [JsonIgnore]
    public string Name { get; init; } = "";

    /// <summary>File name relative to the model folder.</summary>
    public string File { get; init; } = "";

    /// <summary>Inputs in the order the exporter declared them.</summary>
    public IReadOnlyList<TensorSpec> Inputs { get; init; } = [];

    /// <summary>Outputs in the order the exporter declared them.</summary>
    public IReadOnlyList<TensorSpec> Outputs { get; init; } = [];

    /// <summary>File size recorded by the exporter, if any.</summary>
    public long? Bytes { get; init; }

    /// <summary>The input with this name, or <see langword="null"/>.</summary>
    public TensorSpec? FindInput(string name)
    {
        foreach (TensorSpec spec in Inputs)
        {
            if (spec.Name == name)
            {
                return spec;
            }
        }

        return null;
    }

    /// <summary>The output with this name, or <see langword="null"/>.</summary>
    public TensorSpec? FindOutput(string name)
    {
        foreach (TensorSpec spec in Outputs)
        {
            if (spec.Name == name)
            {
                return spec;
            }
        }

        return null;
    }
}
