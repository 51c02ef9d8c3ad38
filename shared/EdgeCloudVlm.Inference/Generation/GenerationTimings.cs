namespace EdgeCloudVlm.Inference.Generation;

/// <summary>Where the time of one request went.</summary>
/// <param name="Vision">Preprocessing and the vision parts (zero when image embeddings were supplied).</param>
/// <param name="Prefill">Tokenization, embedding and the prompt's decoder pass.</param>
/// <param name="Decode">All incremental decoder steps.</param>
public sealed record GenerationTimings(TimeSpan Vision, TimeSpan Prefill, TimeSpan Decode)
{
    /// <summary>The sum of the stages.</summary>
    public TimeSpan Total => Vision + Prefill + Decode;
}
