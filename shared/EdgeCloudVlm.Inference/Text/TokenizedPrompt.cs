namespace EdgeCloudVlm.Inference.Text;

/// <summary>Prompt token ids with the position of the single image placeholder, which the pipeline replaces by all
/// image-embedding rows.</summary>
/// <param name="Ids">Token ids of the prompt, placeholder included once.</param>
/// <param name="ImageIndex">Index of the placeholder in <paramref name="Ids"/>.</param>
public sealed record TokenizedPrompt(int[] Ids, int ImageIndex)
{
    /// <summary>Decoder positions once the placeholder expands into <paramref name="imageTokens"/> rows.</summary>
    public int ExpandedLength(int imageTokens) => Ids.Length - 1 + imageTokens;
}
