namespace EdgeCloudVlm.Inference.Runtime;

/// <summary>An explicitly requested GPU execution provider cannot be used on this machine.</summary>
public sealed class ExecutionProviderUnavailableException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public ExecutionProviderUnavailableException(ExecutionProvider provider, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Provider = provider;
    }

    /// <summary>Creates the exception.</summary>
    public ExecutionProviderUnavailableException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public ExecutionProviderUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ExecutionProviderUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The provider that was asked for.</summary>
    public ExecutionProvider Provider { get; }
}
