namespace EdgeCloudVlm.Inference.Generation;

/// <summary>Why generation ended.</summary>
public enum FinishReason
{
    /// <summary>The model produced end-of-sequence or the text reached a stop sequence.</summary>
    Stop = 0,

    /// <summary>The token limit was reached.</summary>
    Length = 1,

    /// <summary>The caller cancelled.</summary>
    Cancelled = 2,
}
