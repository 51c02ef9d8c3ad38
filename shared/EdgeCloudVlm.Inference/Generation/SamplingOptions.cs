namespace EdgeCloudVlm.Inference.Generation;

/// <summary>How the next token is chosen from the logits.</summary>
public sealed record SamplingOptions
{
    /// <summary>Greedy decoding (argmax, first index on ties), as the model was evaluated.</summary>
    public static SamplingOptions Greedy { get; } = new();

    /// <summary>Softmax temperature; 0 selects greedy decoding.</summary>
    public float Temperature { get; init; }

    /// <summary>Keep only the <c>k</c> most likely tokens; 0 keeps all.</summary>
    public int TopK { get; init; }

    /// <summary>Keep the smallest set of most likely tokens whose probability reaches this mass; 1 keeps all.</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Seed of the sampler's own generator; the same seed and logits give the same tokens. A random seed is
    /// drawn when <see langword="null"/>.</summary>
    public long? Seed { get; init; }

    /// <summary>Whether sampling reduces to argmax.</summary>
    public bool IsGreedy => Temperature <= 0f || TopK == 1;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for impossible values.</summary>
    public void Validate()
    {
        if (!float.IsFinite(Temperature) || Temperature < 0f)
        {
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "Temperature must be finite and >= 0.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(TopK);
        if (!(TopP > 0f && TopP <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "TopP must be in (0, 1].");
        }
    }
}
