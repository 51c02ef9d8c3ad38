extern alias cloud;

using System.Net;
using System.Net.Sockets;
using cloud::EdgeCloudVlm.Cloud.Hosting;
using EdgeCloudVlm.ServiceDefaults;
using EdgeCloudVlm.ServiceDefaults.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace EdgeCloudVlm.Edge.Tests.Support;

/// <summary>
/// The real cloud service, assembled as its Program does, on real Kestrel over loopback: gRPC (h2c) on
/// <see cref="GrpcPort"/>, REST on another free port. It can be stopped and started again on the same ports, which is
/// what an outage looks like to the agent.
/// </summary>
internal sealed class CloudHost : IAsyncDisposable
{
    public const string EdgeKey = "edge-integration-key";
    public const string ApplicationKey = "application-integration-key";

    private readonly TempFolder _contentRoot = new();
    private readonly Dictionary<string, string?> _settings;
    private WebApplication? _app;

    private CloudHost(IReadOnlyDictionary<string, string?>? settings)
    {
        GrpcPort = FreePort();
        RestPort = FreePort();
        _settings = new Dictionary<string, string?>
        {
            ["Models:Folders:0"] = RepositoryLayout.DemoModel,
            ["Codebooks:Folder"] = Repo.DemoCodebooks,
            ["Models:ExecutionProvider"] = "Cpu",
            ["Models:IntraOpThreads"] = "1",
            ["Auth:ApiKeys:0:Name"] = "integration-edge",
            ["Auth:ApiKeys:0:Role"] = ServiceRoles.Edge,
            ["Auth:ApiKeys:0:Sha256"] = ApiKeyHash.Compute(EdgeKey),
            ["Auth:ApiKeys:1:Name"] = "integration-application",
            ["Auth:ApiKeys:1:Role"] = ServiceRoles.Application,
            ["Auth:ApiKeys:1:Sha256"] = ApiKeyHash.Compute(ApplicationKey),
            ["RateLimiting:Enabled"] = "false",
            ["Kestrel:Endpoints:Grpc:Url"] = $"http://127.0.0.1:{GrpcPort}",
            ["Kestrel:Endpoints:Grpc:Protocols"] = "Http2",
            ["Kestrel:Endpoints:Rest:Url"] = $"http://127.0.0.1:{RestPort}",
            ["Kestrel:Endpoints:Rest:Protocols"] = "Http1",
            ["Shutdown:DrainSeconds"] = "2",
            ["Shutdown:ReadinessDelaySeconds"] = "0",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach ((string key, string? value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }
    }

    public int GrpcPort { get; }

    public int RestPort { get; }

    public Uri GrpcAddress => new($"http://127.0.0.1:{GrpcPort}");

    public static async Task<CloudHost> StartAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var host = new CloudHost(settings);
        await host.StartAgainAsync();
        return host;
    }

    /// <summary>Starts (or restarts after <see cref="StopAsync"/>) on the same ports and waits until it is ready.</summary>
    public async Task StartAgainAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ContentRootPath = _contentRoot.Path,
            EnvironmentName = "Testing",
            Args = [],
        });
        builder.Configuration.AddInMemoryCollection(_settings);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        WebApplication app = builder.BuildEdgeCloudVlmCloud();
        await app.StartAsync();
        _app = app;

        using var http = new HttpClient();
        DateTime deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            try
            {
                using HttpResponseMessage response = await http.GetAsync(new Uri($"http://127.0.0.1:{RestPort}/health/ready"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the cloud did not become ready");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Stops the service: open streams break, the ports close.</summary>
    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _contentRoot.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
