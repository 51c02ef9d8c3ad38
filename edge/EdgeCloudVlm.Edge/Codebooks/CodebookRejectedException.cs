namespace EdgeCloudVlm.Edge.Codebooks;

/// <summary>A codebook file that does not hash to the id it should have, or does not fit the model.</summary>
public sealed class CodebookRejectedException : Exception
{
    public CodebookRejectedException()
    {
    }

    public CodebookRejectedException(string message)
        : base(message)
    {
    }

    public CodebookRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The bytes are not what the id says (as opposed to a codebook that does not fit the model, or a
    /// download cut short): asking the same server again would give the same bytes.</summary>
    public bool HashMismatch { get; init; }
}
