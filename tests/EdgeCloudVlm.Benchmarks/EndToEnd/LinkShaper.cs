using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace EdgeCloudVlm.Benchmarks.EndToEnd;

/// <summary>
/// A network namespace whose loopback is the link under test: MTU 1500 (Ethernet-sized packets, so TCP segments and
/// queues like a real uplink instead of in 64 KiB loopback chunks). Created fresh — a namespace of the same name left by
/// an interrupted run is removed first — and deleted on dispose. Needs root (<c>ip netns</c>).
/// </summary>
internal sealed class LinkNamespace : IDisposable
{
    private LinkNamespace(string name) => Name = name;

    public string Name { get; }

    public static LinkNamespace Create(string name)
    {
        if (Shell.TryRun("ip", ["netns", "list"], out string list) && list.Split('\n').Any(line => line.Split(' ')[0] == name))
        {
            Shell.Run("ip", ["netns", "delete", name]);
        }

        if (!Shell.TryRun("ip", ["netns", "add", name], out string error))
        {
            throw new InvalidOperationException($"ip netns add {name} failed (suite e2e needs root and iproute2): {error.Trim()}");
        }

        var created = new LinkNamespace(name);
        try
        {
            Shell.Run("ip", ["netns", "exec", name, "ip", "link", "set", "dev", "lo", "mtu", "1500", "up"]);
            return created;
        }
        catch
        {
            created.Dispose();
            throw;
        }
    }

    public void Dispose() => Shell.TryRun("ip", ["netns", "delete", Name], out _);
}

/// <summary>
/// The rate limit on the current namespace's loopback: a token bucket (<c>tc qdisc ... tbf</c>; this kernel has no
/// netem). Run from inside the namespace. The bucket holds two full-size packets (or 2 ms at the rate, when larger), so
/// nothing but a packet or two passes faster than the rate; the queue is deep (4 MiB), so nothing is dropped and a
/// transfer takes its size over the rate — the most favourable case for sending whole images.
/// </summary>
internal static partial class TokenBucket
{
    private const int PacketBytes = 1514; // MTU 1500 plus the Ethernet header loopback frames carry

    public const int QueueLimitBytes = 4 << 20;

    public static int BurstBytes(double mbit) => Math.Max(2 * PacketBytes, (int)(mbit * 1e6 / 8 * 0.002));

    /// <summary>Replaces the loopback's root qdisc; returns what <c>tc qdisc show</c> reports afterwards.</summary>
    public static string Apply(double mbit)
    {
        string rate = mbit.ToString("0.###", CultureInfo.InvariantCulture) + "mbit";
        Shell.Run("tc", ["qdisc", "replace", "dev", "lo", "root", "tbf", "rate", rate,
            "burst", BurstBytes(mbit).ToString(CultureInfo.InvariantCulture), "limit", QueueLimitBytes.ToString(CultureInfo.InvariantCulture)]);
        string shown = Shell.Run("tc", ["qdisc", "show", "dev", "lo"]).Trim();
        if (!shown.Contains("tbf", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"tc did not install the token bucket on lo: {shown}");
        }

        return shown;
    }

    /// <summary>Bytes the loopback's root qdisc has sent (both directions cross it).</summary>
    public static long SentBytes()
    {
        Match match = SentPattern().Match(Shell.Run("tc", ["-s", "qdisc", "show", "dev", "lo"]));
        return match.Success ? long.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture) : -1;
    }

    [GeneratedRegex(@"Sent (\d+) bytes")]
    private static partial Regex SentPattern();
}

/// <summary>Runs a command to completion, capturing its output.</summary>
internal static class Shell
{
    public static string Run(string command, IReadOnlyList<string> arguments) =>
        TryRun(command, arguments, out string output)
            ? output
            : throw new InvalidOperationException($"{command} {string.Join(' ', arguments)} failed: {output.Trim()}");

    /// <summary>True on exit code 0; <paramref name="output"/> is standard output then, standard error otherwise.</summary>
    public static bool TryRun(string command, IReadOnlyList<string> arguments, out string output)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {command}");
        Task<string> error = process.StandardError.ReadToEndAsync();
        string standardOutput = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        output = process.ExitCode == 0 ? standardOutput : error.Result + standardOutput;
        return process.ExitCode == 0;
    }
}
