using System.Diagnostics;
using System.Text.Json;

namespace EdgeCloudVlm.Edge.Tests.Support;

/// <summary>The agent as its own process: <c>dotnet ecv-edge.dll run --config file</c>, killable with SIGKILL.</summary>
internal sealed class EdgeProcess : IDisposable
{
    private readonly Process _process;

    private EdgeProcess(Process process, string logPath)
    {
        _process = process;
        LogPath = logPath;
    }

    public string LogPath { get; }

    public bool HasExited => _process.HasExited;

    public static EdgeProcess Start(IReadOnlyDictionary<string, string?> settings, string workFolder, int generation)
    {
        string config = Path.Combine(workFolder, $"edge-{generation}.json");
        File.WriteAllText(config, JsonSerializer.Serialize(Nest(settings)));
        string log = Path.Combine(workFolder, $"edge-{generation}.log");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Repo.EdgeAgentDll, "run", "--config", config },
            WorkingDirectory = workFolder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["DOTNET_ENVIRONMENT"] = "Testing";
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var writer = new StreamWriter(log) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => Write(writer, e.Data);
        process.ErrorDataReceived += (_, e) => Write(writer, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new EdgeProcess(process, log);
    }

    /// <summary>SIGKILL: no shutdown code runs, buffers in the process are lost.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private static void Write(StreamWriter writer, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (writer)
        {
            try
            {
                writer.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>"A:B:C" keys as nested JSON objects (numeric segments stay object keys, which configuration reads as indexes).</summary>
    private static Dictionary<string, object> Nest(IReadOnlyDictionary<string, string?> settings)
    {
        var root = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
        foreach ((string key, string? value) in settings)
        {
            if (value is null)
            {
                continue;
            }

            string[] parts = key.Split(':');
            Dictionary<string, object> node = root;
            for (int i = 0; i < parts.Length - 1; i++)
            {
                if (!node.TryGetValue(parts[i], out object? child))
                {
                    child = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
                    node[parts[i]] = child;
                }

                node = (Dictionary<string, object>)child;
            }

            node[parts[^1]] = value;
        }

        return root;
    }
}
