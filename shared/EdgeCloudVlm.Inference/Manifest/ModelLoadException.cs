namespace EdgeCloudVlm.Inference.Manifest;

/// <summary>A model folder that cannot be used: missing files, a malformed <c>model.json</c> or a part whose ONNX
/// signature disagrees with the manifest. The message names the part when one is at fault.</summary>
public sealed class ModelLoadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelLoadException(string message, string? partName = null, Exception? innerException = null)
        : base(message, innerException)
    {
        PartName = partName;
    }

    /// <summary>Creates the exception without a part.</summary>
    public ModelLoadException()
    {
    }

    /// <summary>Creates the exception without a part.</summary>
    public ModelLoadException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception without a part.</summary>
    public ModelLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The part at fault, when there is one.</summary>
    public string? PartName { get; }
}
