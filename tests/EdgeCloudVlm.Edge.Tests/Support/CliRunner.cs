using EdgeCloudVlm.Edge.Cli;

namespace EdgeCloudVlm.Edge.Tests.Support;

/// <summary>Runs the agent's command line in process and captures what it prints.</summary>
internal static class CliRunner
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = await EdgeCommand.CreateRoot().Parse(args).InvokeAsync(EdgeCommand.Invocation(output, error));
        return (code, output.ToString(), error.ToString());
    }

    /// <summary><c>--set</c> arguments for each setting.</summary>
    public static string[] Sets(IReadOnlyDictionary<string, string?> settings) =>
        [.. settings.Where(s => s.Value is not null).SelectMany(s => new[] { "--set", $"{s.Key}={s.Value}" })];
}
