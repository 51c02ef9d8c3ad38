namespace EdgeCloudVlm.Inference.Manifest;

/// <summary>The vision tower and where it is split (the <c>vision</c> section of <c>model.json</c>).</summary>
public sealed record VisionSpec
{
    /// <summary>The first block that runs on the cloud; the edge runs blocks <c>0..split_layer-1</c>.</summary>
    public int SplitLayer { get; init; }

    /// <summary>What crosses the split, as text.</summary>
    public string? SplitMeaning { get; init; }

    /// <summary>Number of ViT blocks.</summary>
    public int Layers { get; init; }

    /// <summary>Attention heads per block.</summary>
    public int Heads { get; init; }

    /// <summary>Patch side in pixels.</summary>
    public int PatchSize { get; init; }

    /// <summary>Tokens in the hidden state and in the image embeddings (CLS included).</summary>
    public int Tokens { get; init; }

    /// <summary>Token order, as text.</summary>
    public string? TokenLayout { get; init; }

    /// <summary>Width of the hidden state that crosses the split.</summary>
    public int HiddenDim { get; init; }
}
