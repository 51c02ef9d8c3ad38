namespace EdgeCloudVlm.Inference.Generation;

/// <summary>
/// One item of a generation stream: a token and the text it adds (possibly empty while text that could begin a stop
/// sequence is held back). The last item has <see cref="Result"/> set, <see cref="TokenId"/> -1 and carries any text
/// still held back.
/// </summary>
/// <param name="Index">Token index in the answer; for the final item, the number of tokens.</param>
/// <param name="TokenId">The token, or -1 on the final item.</param>
/// <param name="Text">Text to append to what was streamed so far.</param>
public sealed record GenerationDelta(int Index, int TokenId, string Text)
{
    /// <summary>The final result, on the last item only.</summary>
    public GenerationResult? Result { get; init; }

    /// <summary>Whether this is the last item.</summary>
    public bool IsFinal => Result is not null;
}
