using System.Collections.Concurrent;
using System.Diagnostics;
using EdgeCloudVlm.Benchmarks.Networking;

namespace EdgeCloudVlm.Benchmarks.Reliability;

/// <summary>
/// A service started as its own process (optionally inside a network namespace through <c>ip netns exec</c>, which
/// execs in place, so the process id is the service's), every output line kept in memory and in a log file.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    // Children still running when the suite ends (even by an unhandled exception) are killed with it, so that no
    // service outlives a failed run.
    private static readonly ConcurrentDictionary<ChildProcess, byte> Live = new();

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();

    static ChildProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
        AppDomain.CurrentDomain.UnhandledException += (_, _) => KillAll();
    }
    private readonly StreamWriter _log;

    private ChildProcess(Process process, string logPath)
    {
        _process = process;
        LogPath = logPath;
        _log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string LogPath { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public IReadOnlyCollection<string> Lines => _lines;

    public static ChildProcess Start(IReadOnlyList<string> command, string logPath, IReadOnlyDictionary<string, string>? environment = null, string? netns = null, string? workingDirectory = null)
    {
        IReadOnlyList<string> line = netns is null ? command : NetworkNamespace.Exec(netns, command);
        var start = new ProcessStartInfo(line[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (string argument in line.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_gcServer"] = "0";
        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        Process process = Process.Start(start) ?? throw new InvalidOperationException($"{command[0]} did not start");
        var child = new ChildProcess(process, logPath);
        Live[child] = 0;
        return child;
    }

    /// <summary>SIGKILL: nothing of the process's own shutdown runs.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
        }

        _process.WaitForExit();
    }

    /// <summary>SIGTERM, then SIGKILL if it has not ended within <paramref name="grace"/>.</summary>
    public void Stop(TimeSpan grace)
    {
        if (!_process.HasExited)
        {
            using (Process signal = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                signal.WaitForExit();
            }

            if (!_process.WaitForExit(grace))
            {
                Kill();
            }
        }

        _process.WaitForExit();
    }

    /// <summary>Peak resident set size so far, from <c>/proc/PID/status</c> (VmHWM), in MiB; null once the process has gone.</summary>
    public double? PeakResidentMiB()
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{_process.Id}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
                }
            }
        }
        catch (IOException)
        {
        }

        return null;
    }

    public void Dispose()
    {
        Kill();
        Live.TryRemove(this, out _);
        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }

    private static void KillAll()
    {
        foreach (ChildProcess child in Live.Keys)
        {
            try
            {
                child._process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _lines.Enqueue(line);
        lock (_log)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }
}
