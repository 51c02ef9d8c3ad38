namespace EdgeCloudVlm.Inference.Manifest;

/// <summary>The decoder's dimensions (the <c>language_model</c> section of <c>model.json</c>).</summary>
public sealed record LanguageModelSpec
{
    /// <summary>Decoder layers; one key and one value cache tensor each.</summary>
    public int Layers { get; init; }

    /// <summary>Key/value heads.</summary>
    public int Heads { get; init; }

    /// <summary>Width of one head.</summary>
    public int HeadDim { get; init; }

    /// <summary>Embedding width of <c>inputs_embeds</c>.</summary>
    public int HiddenSize { get; init; }

    /// <summary>MLP width, informational.</summary>
    public int IntermediateSize { get; init; }

    /// <summary>Rows of <c>logits</c>.</summary>
    public int VocabSize { get; init; }

    /// <summary>Longest sequence (prompt plus answer) the model was trained for.</summary>
    public int MaxPositions { get; init; }

    /// <summary>RoPE base, informational.</summary>
    public double RopeTheta { get; init; }

    /// <summary>RMSNorm epsilon, informational.</summary>
    public double RmsNormEps { get; init; }

    /// <summary>How padded batches must be laid out, as text.</summary>
    public string? Padding { get; init; }
}
