namespace EdgeCloudVlm.Edge.Cli;

/// <summary>Process exit codes; 1 is left to System.CommandLine for usage errors.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Bad input or configuration (unreadable image, invalid option, model not found).</summary>
    public const int InputError = 2;

    /// <summary>The cloud answered the frame with an error, or <c>status</c> found no running agent.</summary>
    public const int FrameFailed = 3;

    /// <summary>The cloud could not be reached or did not answer in time.</summary>
    public const int Unreachable = 4;

    /// <summary>The cloud refused the credentials.</summary>
    public const int AuthenticationFailed = 5;

    /// <summary>A codebook did not verify against its id (wrong hash) and was refused.</summary>
    public const int CodebookRefused = 6;
}
