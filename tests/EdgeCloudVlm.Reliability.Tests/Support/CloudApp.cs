using System.Net;
using System.Net.Sockets;
using EdgeCloudVlm.Cloud.Hosting;
using EdgeCloudVlm.ServiceDefaults;
using EdgeCloudVlm.ServiceDefaults.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace EdgeCloudVlm.Reliability.Tests.Support;

/// <summary>
/// The cloud service assembled as its Program does, on real Kestrel over loopback, outside Development (no demo keys,
/// metrics not open): an application key, an edge key, every log line captured.
/// </summary>
internal sealed class CloudApp : IAsyncDisposable
{
    public const string ApplicationKey = "reliability-application-key-5d0c8e";
    public const string EdgeKey = "reliability-edge-key-9a41f2";

    private CloudApp(WebApplication app, LogCapture logs, Uri rest, Uri grpc)
    {
        App = app;
        Logs = logs;
        RestAddress = rest;
        GrpcAddress = grpc;
    }

    public WebApplication App { get; }

    public LogCapture Logs { get; }

    public Uri RestAddress { get; }

    public Uri GrpcAddress { get; }

    public IServiceProvider Services => App.Services;

    /// <summary>Settings of the service; <paramref name="overrides"/> replace them (a null value removes one).</summary>
    public static Dictionary<string, string?> Settings(int restPort, int grpcPort) => new()
    {
        ["Models:Folders:0"] = RepositoryLayout.DemoModel,
        ["Models:ExecutionProvider"] = "Cpu",
        ["Models:IntraOpThreads"] = "1",
        ["Auth:ApiKeys:0:Name"] = "reliability-application",
        ["Auth:ApiKeys:0:Role"] = ServiceRoles.Application,
        ["Auth:ApiKeys:0:Sha256"] = ApiKeyHash.Compute(ApplicationKey),
        ["Auth:ApiKeys:1:Name"] = "reliability-edge",
        ["Auth:ApiKeys:1:Role"] = ServiceRoles.Edge,
        ["Auth:ApiKeys:1:Sha256"] = ApiKeyHash.Compute(EdgeKey),
        ["RateLimiting:Enabled"] = "false",
        ["Kestrel:Endpoints:Rest:Url"] = $"http://127.0.0.1:{restPort}",
        ["Kestrel:Endpoints:Rest:Protocols"] = "Http1",
        ["Kestrel:Endpoints:Grpc:Url"] = $"http://127.0.0.1:{grpcPort}",
        ["Kestrel:Endpoints:Grpc:Protocols"] = "Http2",
        ["Shutdown:DrainSeconds"] = "2",
        ["Logging:LogLevel:Default"] = "Trace",
    };

    public static async Task<CloudApp> StartAsync(Action<Dictionary<string, string?>>? configure = null, bool waitReady = true)
    {
        int restPort = FreePort();
        int grpcPort = FreePort();
        Dictionary<string, string?> settings = Settings(restPort, grpcPort);
        configure?.Invoke(settings);
        var logs = new LogCapture();
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = "Testing",
            Args = [],
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Logging.AddProvider(logs);
        WebApplication app = builder.BuildEdgeCloudVlmCloud();
        await app.StartAsync();
        var cloud = new CloudApp(app, logs, new Uri(settings["Kestrel:Endpoints:Rest:Url"]!), new Uri(settings["Kestrel:Endpoints:Grpc:Url"]!));
        if (waitReady)
        {
            await cloud.WaitReadyAsync();
        }

        return cloud;
    }

    public async Task WaitReadyAsync()
    {
        using var http = new HttpClient { BaseAddress = RestAddress };
        DateTime deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            using HttpResponseMessage response = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the cloud did not become ready");
            }

            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
