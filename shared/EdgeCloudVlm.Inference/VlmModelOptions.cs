using EdgeCloudVlm.Inference.Manifest;
using EdgeCloudVlm.Inference.Preprocessing;
using EdgeCloudVlm.Inference.Runtime;

namespace EdgeCloudVlm.Inference;

/// <summary>How a <see cref="VlmModel"/> is loaded.</summary>
public sealed record VlmModelOptions
{
    /// <summary>Session settings shared by all parts.</summary>
    public OnnxSessionOptions Session { get; init; } = new();

    /// <summary>Parts to load (see <see cref="ModelPartNames"/>); all four when <see langword="null"/>. The edge needs
    /// only <see cref="ModelPartNames.VisionEdge"/>, the cloud the other three.</summary>
    public IReadOnlyList<string>? Parts { get; init; }

    /// <summary>Image limits.</summary>
    public ImagePreprocessorOptions Image { get; init; } = new();
}
