namespace EdgeCloudVlm.Inference.Manifest;

/// <summary>The prompt template (the <c>prompt</c> section of <c>model.json</c>).</summary>
public sealed record PromptSpec
{
    /// <summary>Template text with a <c>{question}</c> slot, e.g. <c>[BOS] [IMG] {question} [SEP]</c>.</summary>
    public string Template { get; init; } = "";

    /// <summary>The special token replaced by the image embeddings.</summary>
    public string ImagePlaceholder { get; init; } = "";

    /// <summary>How many embedding rows replace the placeholder (the vision token count).</summary>
    public int ImagePlaceholderExpandsTo { get; init; }

    /// <summary>Description of the prompt construction, informational.</summary>
    public string? How { get; init; }
}
