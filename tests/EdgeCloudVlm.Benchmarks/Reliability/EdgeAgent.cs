using System.Text.Json;

namespace EdgeCloudVlm.Benchmarks.Reliability;

/// <summary>
/// The edge agent (<c>ecv-edge run</c>) as a child process watching a folder, with settings for fast reconnects,
/// written to a JSON configuration file. Results go to <c>{data}/results.jsonl</c>.
/// </summary>
internal sealed class EdgeAgent(ServicePaths paths, string workFolder, Dictionary<string, string> settings, string? netns = null) : IDisposable
{
    private int _generation;

    public ChildProcess? Process { get; private set; }

    public static Dictionary<string, string> Settings(string data, string watch, int grpcPort) => new(StringComparer.Ordinal)
    {
        ["Edge:DeviceId"] = "reliability-device",
        ["Edge:ModelFolder"] = RepositoryLayout.DemoModel,
        ["Edge:DataDirectory"] = data,
        ["Edge:IntraOpThreads"] = "1",
        ["Edge:Uplink:Address"] = $"http://127.0.0.1:{grpcPort}",
        ["Edge:Uplink:ApiKey"] = CloudService.EdgeKey,
        ["Edge:Uplink:RetryBaseDelay"] = "00:00:00.250",
        ["Edge:Uplink:RetryMaxDelay"] = "00:00:02",
        ["Edge:Uplink:BreakerBreakDuration"] = "00:00:02",
        ["Edge:Uplink:ConnectTimeout"] = "00:00:05",
        ["Edge:Uplink:KeepAlivePingDelay"] = "00:00:05",
        ["Edge:Uplink:KeepAlivePingTimeout"] = "00:00:05",
        ["Edge:Uplink:AckInterval"] = "00:00:00.500",
        ["Edge:Http:Port"] = "0",
        ["Edge:Watch:Folder"] = watch,
        ["Edge:Watch:SettleTime"] = "00:00:00.200",
        ["Edge:Watch:RescanInterval"] = "00:00:01",
        ["Edge:Watch:RetryRefusedAfter"] = "00:00:01",
        ["Edge:Status:WriteInterval"] = "00:00:01",
        ["Shutdown:DrainSeconds"] = "2",
        ["Logging:LogLevel:Default"] = "Information",
    };

    public void Start()
    {
        string config = Path.Combine(workFolder, "edge.json");
        File.WriteAllText(config, JsonSerializer.Serialize(Nest(settings)));
        Process?.Dispose();
        Process = ChildProcess.Start(["dotnet", paths.EdgeDll!, "run", "--config", config], Path.Combine(workFolder, $"edge-{++_generation}.log"),
            new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Production" }, netns, Path.GetDirectoryName(paths.EdgeDll));
    }

    /// <summary>SIGKILL.</summary>
    public void Kill() => Process?.Kill();

    public void Dispose()
    {
        Process?.Stop(TimeSpan.FromSeconds(5));
        Process?.Dispose();
        Process = null;
    }

    private static Dictionary<string, object> Nest(Dictionary<string, string> flat)
    {
        var root = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
        foreach ((string key, string value) in flat)
        {
            string[] parts = key.Split(':');
            Dictionary<string, object> node = root;
            foreach (string part in parts[..^1])
            {
                if (!node.TryGetValue(part, out object? child))
                {
                    node[part] = child = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
                }

                node = (Dictionary<string, object>)child;
            }

            node[parts[^1]] = value;
        }

        return root;
    }
}
