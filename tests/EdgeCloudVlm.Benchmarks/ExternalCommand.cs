using System.Diagnostics;

namespace EdgeCloudVlm.Benchmarks;

/// <summary>Runs a system command (<c>ip</c>, <c>tc</c>, <c>mount</c>, <c>curl</c>, <c>apt-get</c>) to completion, capturing its output.
/// The first element of a command line is the program, the rest its arguments, passed as they are (no shell).</summary>
internal static class ExternalCommand
{
    /// <summary>Standard output of a command that must succeed; otherwise an exception with what it printed.</summary>
    public static string Run(IReadOnlyList<string> command) =>
        TryRun(command, out string output)
            ? output
            : throw new InvalidOperationException($"'{string.Join(' ', command)}' failed: {output.Trim()}");

    /// <summary>True on exit code 0; <paramref name="output"/> is standard output then, standard error and output
    /// otherwise. Runs in <paramref name="workingDirectory"/> when given.</summary>
    public static bool TryRun(IReadOnlyList<string> command, out string output, string? workingDirectory = null)
    {
        using Process process = Start(command, workingDirectory);
        Task<string> error = process.StandardError.ReadToEndAsync();
        string standardOutput = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        output = process.ExitCode == 0 ? standardOutput : error.Result + standardOutput;
        return process.ExitCode == 0;
    }

    /// <summary>Exit code and output (standard output, then standard error), trimmed.</summary>
    public static async Task<(int Code, string Output)> RunAsync(IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        using Process process = Start(command, workingDirectory: null);
        Task<string> output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, ((await output) + (await error)).Trim());
    }

    private static Process Start(IReadOnlyList<string> command, string? workingDirectory)
    {
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? string.Empty,
        };
        foreach (string argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"could not start {command[0]}");
    }
}
