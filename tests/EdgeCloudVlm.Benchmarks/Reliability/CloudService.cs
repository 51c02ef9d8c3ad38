using System.Diagnostics;
using System.Net;
using EdgeCloudVlm.ServiceDefaults.Authentication;
using EdgeCloudVlm.Benchmarks.Networking;

namespace EdgeCloudVlm.Benchmarks.Reliability;

/// <summary>
/// The cloud service as a child process in Production (no demo keys, metrics closed): an application key and an edge
/// key configured by hash, the demo model, REST and gRPC on fixed loopback ports so that a restart comes back where the
/// edge expects it. Settings are passed as command-line configuration (<c>--Key=Value</c>).
/// </summary>
internal sealed class CloudService : IDisposable
{
    public const string ApplicationKey = "reliability-suite-application-7c2f9e41";
    public const string EdgeKey = "reliability-suite-edge-d83a6b20";

    private readonly ServicePaths _paths;
    private readonly Dictionary<string, string> _settings;
    private readonly string _logFolder;
    private readonly string? _netns;
    private int _generation;

    public CloudService(ServicePaths paths, string logFolder, IReadOnlyDictionary<string, string>? settings = null, string? netns = null, int? restPort = null, int? grpcPort = null)
    {
        _paths = paths;
        _logFolder = Directory.CreateDirectory(logFolder).FullName;
        _netns = netns;
        RestPort = restPort ?? FreePort();
        GrpcPort = grpcPort ?? FreePort();
        _settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Models:Folders:0"] = RepositoryLayout.DemoModel,
            ["Models:ExecutionProvider"] = "Cpu",
            ["Auth:ApiKeys:0:Name"] = "reliability-application",
            ["Auth:ApiKeys:0:Role"] = ServiceRoles.Application,
            ["Auth:ApiKeys:0:Sha256"] = ApiKeyHash.Compute(ApplicationKey),
            ["Auth:ApiKeys:1:Name"] = "reliability-edge",
            ["Auth:ApiKeys:1:Role"] = ServiceRoles.Edge,
            ["Auth:ApiKeys:1:Sha256"] = ApiKeyHash.Compute(EdgeKey),
            ["Kestrel:Endpoints:Rest:Url"] = $"http://127.0.0.1:{RestPort}",
            ["Kestrel:Endpoints:Rest:Protocols"] = "Http1",
            ["Kestrel:Endpoints:Grpc:Url"] = $"http://127.0.0.1:{GrpcPort}",
            ["Kestrel:Endpoints:Grpc:Protocols"] = "Http2",
            ["Shutdown:DrainSeconds"] = "2",
            ["Logging:Console:FormatterName"] = "simple",
        };
        foreach ((string key, string value) in settings ?? new Dictionary<string, string>())
        {
            _settings[key] = value;
        }
    }

    public int RestPort { get; }

    public int GrpcPort { get; }

    public Uri RestAddress => new($"http://127.0.0.1:{RestPort}");

    public Uri GrpcAddress => new($"http://127.0.0.1:{GrpcPort}");

    public ChildProcess? Process { get; private set; }

    /// <summary>Every line every generation of the process wrote.</summary>
    public List<string> AllLines { get; } = [];

    /// <summary>Starts the service (again) and waits until <c>/health/ready</c> answers 200.</summary>
    public async Task StartAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Collect();
        string[] command = ["dotnet", _paths.CloudDll, .. _settings.Select(p => $"--{p.Key}={p.Value}")];
        // Run from its own folder, as a deployment does: the content root (appsettings.json) is the working directory.
        Process = ChildProcess.Start(command, Path.Combine(_logFolder, $"cloud-{RestPort}-{++_generation}.log"),
            new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Production" }, _netns, Path.GetDirectoryName(_paths.CloudDll));
        var clock = Stopwatch.StartNew();
        while (!await IsReadyAsync(cancellationToken))
        {
            if (Process.HasExited)
            {
                throw new InvalidOperationException($"the cloud exited while starting; see {Process.LogPath}");
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"the cloud was not ready within {timeout}; see {Process.LogPath}");
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    /// <summary>Whether <c>/health/ready</c> answers 200 now (asked from inside the namespace when there is one).</summary>
    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        if (_netns is not null)
        {
            return await ExternalCommand.RunAsync(NetworkNamespace.Exec(_netns, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2",
                $"http://127.0.0.1:{RestPort}/health/ready"]), cancellationToken) is (0, "200");
        }

        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            using HttpResponseMessage response = await http.GetAsync(new Uri(RestAddress, "/health/ready"), cancellationToken);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public void Kill()
    {
        Process?.Kill();
        Collect();
    }

    public void Dispose()
    {
        Process?.Stop(TimeSpan.FromSeconds(5));
        Collect();
        Process?.Dispose();
    }

    private void Collect()
    {
        if (Process is { } process && process.HasExited)
        {
            AllLines.AddRange(process.Lines);
            process.Dispose();
            Process = null;
        }
    }

    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
