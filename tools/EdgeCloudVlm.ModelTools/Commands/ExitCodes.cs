namespace EdgeCloudVlm.ModelTools.Commands;

/// <summary>Process exit codes; 1 is left to System.CommandLine for usage errors.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>A file could not be read or written, or is not an ONNX model.</summary>
    public const int FileError = 2;

    /// <summary>The model cannot be split as asked (unknown tensor, unclean cut, invalid graph).</summary>
    public const int SplitError = 3;

    /// <summary>The model could not be loaded or codebook training failed.</summary>
    public const int TrainingError = 4;
}
