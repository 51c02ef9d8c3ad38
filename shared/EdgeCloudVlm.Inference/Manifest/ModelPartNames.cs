namespace EdgeCloudVlm.Inference.Manifest;

/// <summary>The part keys of <c>model.json</c> the runtime knows.</summary>
public static class ModelPartNames
{
    /// <summary>Patch embedding and the first ViT blocks: pixel values to the split hidden state.</summary>
    public const string VisionEdge = "vision_edge";

    /// <summary>The remaining ViT blocks and the projector: hidden state to image embeddings.</summary>
    public const string VisionCloud = "vision_cloud";

    /// <summary>Token ids to token embeddings.</summary>
    public const string EmbedTokens = "embed_tokens";

    /// <summary>The language model with a KV cache.</summary>
    public const string Decoder = "decoder";

    /// <summary>All four parts in pipeline order.</summary>
    public static IReadOnlyList<string> All { get; } = [VisionEdge, VisionCloud, EmbedTokens, Decoder];
}
