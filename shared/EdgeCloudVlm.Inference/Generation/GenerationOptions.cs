namespace EdgeCloudVlm.Inference.Generation;

/// <summary>Per-request generation settings.</summary>
public sealed record GenerationOptions
{
    /// <summary>Answer length limit in tokens; the manifest's <c>generation.max_tokens</c> when <see langword="null"/>.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>Strings that end the answer when they appear in the decoded text; they are not part of the result.</summary>
    public IReadOnlyList<string> StopSequences { get; init; } = [];

    /// <summary>Token choice; greedy by default.</summary>
    public SamplingOptions Sampling { get; init; } = SamplingOptions.Greedy;

    /// <summary>Throws <see cref="ArgumentException"/> for impossible values.</summary>
    public void Validate()
    {
        if (MaxTokens is int max)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(max, 1, nameof(MaxTokens));
        }

        ArgumentNullException.ThrowIfNull(StopSequences);
        foreach (string stop in StopSequences)
        {
            if (string.IsNullOrEmpty(stop))
            {
                throw new ArgumentException("stop sequences must be non-empty", nameof(StopSequences));
            }
        }

        ArgumentNullException.ThrowIfNull(Sampling);
        Sampling.Validate();
    }
}
