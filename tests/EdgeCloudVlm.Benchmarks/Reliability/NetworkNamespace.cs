using System.Diagnostics;

namespace EdgeCloudVlm.Benchmarks.Reliability;

/// <summary>
/// A network namespace of the suite's own (<c>ip netns</c>; needs root): its loopback is the link between the edge
/// agent and the cloud, and setting it down cuts that link for real (this kernel has no netem).
/// </summary>
internal sealed class NetworkNamespace : IDisposable
{
    private NetworkNamespace(string name) => Name = name;

    public string Name { get; }

    public static async Task<NetworkNamespace> CreateAsync(CancellationToken cancellationToken)
    {
        string name = $"ecv-reliability-{Environment.ProcessId}";
        await ExecOrThrowAsync(["ip", "netns", "add", name], cancellationToken);
        var ns = new NetworkNamespace(name);
        await ns.SetLinkAsync(up: true, cancellationToken);
        return ns;
    }

    public Task SetLinkAsync(bool up, CancellationToken cancellationToken) =>
        ExecOrThrowAsync(["ip", "netns", "exec", Name, "ip", "link", "set", "lo", up ? "up" : "down"], cancellationToken);

    public void Dispose()
    {
        using Process? process = Process.Start("ip", ["netns", "del", Name]);
        process?.WaitForExit();
    }

    public static async Task<(int Code, string Output)> ExecAsync(string netns, IReadOnlyList<string> command, CancellationToken cancellationToken) =>
        await RunAsync(["ip", "netns", "exec", netns, .. command], cancellationToken);

    public static async Task<(int Code, string Output)> RunAsync(IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"{command[0]} did not start");
        Task<string> output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, ((await output) + (await error)).Trim());
    }

    private static async Task ExecOrThrowAsync(IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        (int code, string output) = await RunAsync(command, cancellationToken);
        if (code != 0)
        {
            throw new InvalidOperationException($"'{string.Join(' ', command)}' failed ({code}): {output}");
        }
    }
}
