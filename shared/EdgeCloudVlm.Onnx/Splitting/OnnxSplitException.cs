namespace EdgeCloudVlm.Onnx.Splitting;

/// <summary>A model cannot be split as asked: an unknown or unsuitable tensor name, a cut that is not clean, or an invalid graph.</summary>
public sealed class OnnxSplitException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OnnxSplitException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is wrong and what to do about it.</param>
    public OnnxSplitException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    /// <param name="message">What is wrong and what to do about it.</param>
    /// <param name="innerException">The cause.</param>
    public OnnxSplitException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception naming the tensors it is about.</summary>
    /// <param name="kind">Why the operation failed.</param>
    /// <param name="message">What is wrong and what to do about it.</param>
    /// <param name="tensorNames">The tensors concerned (unknown names, or head tensors the tail also needs).</param>
    /// <param name="suggestions">Existing tensor names close to unknown ones; empty otherwise.</param>
    public OnnxSplitException(OnnxSplitErrorKind kind, string message, IReadOnlyList<string> tensorNames, IReadOnlyList<string> suggestions)
        : base(message)
    {
        Kind = kind;
        TensorNames = tensorNames;
        Suggestions = suggestions;
    }

    /// <summary>Why the operation failed; <see cref="OnnxSplitErrorKind.InvalidGraph"/> unless created with a kind.</summary>
    public OnnxSplitErrorKind Kind { get; }

    /// <summary>The tensors the error is about: unknown names, or the head tensors the tail also reads.</summary>
    public IReadOnlyList<string> TensorNames { get; } = [];

    /// <summary>Existing tensor names close to the unknown ones.</summary>
    public IReadOnlyList<string> Suggestions { get; } = [];
}
