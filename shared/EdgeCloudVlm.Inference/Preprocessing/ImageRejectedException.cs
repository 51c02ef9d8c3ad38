namespace EdgeCloudVlm.Inference.Preprocessing;

/// <summary>An input image the preprocessor refuses; <see cref="Reason"/> says why (map it to a 4xx, not a 5xx).</summary>
public sealed class ImageRejectedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ImageRejectedException(ImageRejectionReason reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
    }

    /// <summary>Creates the exception.</summary>
    public ImageRejectedException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public ImageRejectedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ImageRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Why the image was refused.</summary>
    public ImageRejectionReason Reason { get; }
}
