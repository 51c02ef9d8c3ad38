namespace EdgeCloudVlm.Inference.Manifest;

/// <summary>Generation defaults (the <c>generation</c> section of <c>model.json</c>).</summary>
public sealed record GenerationSpec
{
    /// <summary>Default answer length limit in tokens.</summary>
    public int MaxTokens { get; init; }

    /// <summary>The end-of-sequence id.</summary>
    public int EosTokenId { get; init; }

    /// <summary>Whether the model was evaluated with greedy decoding.</summary>
    public bool Greedy { get; init; } = true;
}
