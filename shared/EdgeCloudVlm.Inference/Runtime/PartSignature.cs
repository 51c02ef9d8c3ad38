using EdgeCloudVlm.Inference.Manifest;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeCloudVlm.Inference.Runtime;

/// <summary>Checks a part's ONNX signature against its manifest entry when the session is created.</summary>
public static class PartSignature
{
    /// <summary>Throws <see cref="ModelLoadException"/> naming the part when a listed input or output is missing from the
    /// graph, has another element type, rank or fixed size, or when the graph needs an input the manifest omits.</summary>
    public static void Validate(ModelPart part, OnnxSession session)
    {
        ArgumentNullException.ThrowIfNull(part);
        ArgumentNullException.ThrowIfNull(session);
        string file = Path.GetFileName(session.ModelPath);
        foreach (TensorSpec spec in part.Inputs)
        {
            Check(part, file, "input", spec, session.InputMetadata);
        }

        foreach (TensorSpec spec in part.Outputs)
        {
            Check(part, file, "output", spec, session.OutputMetadata);
        }

        foreach (string name in session.InputNames)
        {
            if (part.FindInput(name) is null)
            {
                throw new ModelLoadException(
                    $"part '{part.Name}' {file} needs input '{name}' that {ModelManifest.FileName} does not list", part.Name);
            }
        }
    }

    /// <summary>The ONNX element type for a manifest dtype name.</summary>
    public static TensorElementType ElementType(string dtype) => dtype switch
    {
        "float32" => TensorElementType.Float,
        "float16" => TensorElementType.Float16,
        "bfloat16" => TensorElementType.BFloat16,
        "float64" => TensorElementType.Double,
        "int64" => TensorElementType.Int64,
        "int32" => TensorElementType.Int32,
        "int16" => TensorElementType.Int16,
        "int8" => TensorElementType.Int8,
        "uint8" => TensorElementType.UInt8,
        "bool" => TensorElementType.Bool,
        _ => throw new ArgumentException($"unknown dtype '{dtype}'", nameof(dtype)),
    };

    private static void Check(
        ModelPart part, string file, string kind, TensorSpec spec, IReadOnlyDictionary<string, NodeMetadata> graph)
    {
        if (!graph.TryGetValue(spec.Name, out NodeMetadata? meta))
        {
            throw new ModelLoadException(
                $"part '{part.Name}' {kind} '{spec.Name}' not found in {file} (it has: {string.Join(", ", graph.Keys)})",
                part.Name);
        }

        if (!meta.IsTensor || meta.ElementDataType != ElementType(spec.Dtype))
        {
            throw new ModelLoadException(
                $"part '{part.Name}' {kind} '{spec.Name}' is {meta.ElementDataType} in {file}, {ModelManifest.FileName} says {spec.Dtype}",
                part.Name);
        }

        int[] dims = meta.Dimensions;
        if (dims.Length != spec.Rank)
        {
            throw new ModelLoadException(
                $"part '{part.Name}' {kind} '{spec.Name}' has rank {dims.Length} in {file}, {ModelManifest.FileName} says {spec.Rank}",
                part.Name);
        }

        for (int axis = 0; axis < dims.Length; axis++)
        {
            if (dims[axis] >= 0 && spec.Shape[axis].Size is long size && size != dims[axis])
            {
                throw new ModelLoadException(
                    $"part '{part.Name}' {kind} '{spec.Name}' has size {dims[axis]} on axis {axis} in {file}, {ModelManifest.FileName} says {size}",
                    part.Name);
            }
        }
    }
}
