namespace EdgeCloudVlm.Inference.Generation;

/// <summary>The outcome of one request.</summary>
public sealed record GenerationResult
{
    /// <summary>The answer text (cut before a stop sequence).</summary>
    public required string Text { get; init; }

    /// <summary>Generated token ids, end-of-sequence excluded.</summary>
    public required IReadOnlyList<int> TokenIds { get; init; }

    /// <summary>Why generation ended.</summary>
    public required FinishReason FinishReason { get; init; }

    /// <summary>Decoder positions of the prompt: text tokens plus the image tokens that replace the placeholder.</summary>
    public required int PromptTokens { get; init; }

    /// <summary>Tokens generated (the length of <see cref="TokenIds"/>).</summary>
    public required int CompletionTokens { get; init; }

    /// <summary>Image tokens inside <see cref="PromptTokens"/>.</summary>
    public required int ImageTokens { get; init; }

    /// <summary>Stage timings.</summary>
    public required GenerationTimings Timings { get; init; }
}
