using System.Globalization;
using System.Security.Cryptography;
using EdgeCloudVlm.Cloud.Hosting;
using EdgeCloudVlm.ServiceDefaults.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace EdgeCloudVlm.Benchmarks.EndToEnd;

/// <summary>
/// The cloud service as its Program.cs builds it, on real Kestrel (cleartext HTTP/2) on 127.0.0.1, so every byte goes
/// through the kernel's loopback — and through whatever qdisc shapes it. (WebApplicationFactory's in-memory server would
/// bypass the link.) Configuration: the demo model on CPU, one edge key made for this run, and the image-prefix cache
/// off, because benchmark photographs repeat across rates and paths where camera frames would not.
/// </summary>
internal sealed class InProcessCloud : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InProcessCloud(WebApplication app, string address, string edgeKey)
    {
        _app = app;
        Address = address;
        EdgeKey = edgeKey;
    }

    /// <summary>The gRPC endpoint, <c>http://127.0.0.1:port</c>.</summary>
    public string Address { get; }

    /// <summary>An API key of role edge.</summary>
    public string EdgeKey { get; }

    public static async Task<InProcessCloud> StartAsync(string modelFolder, int port, CancellationToken cancellationToken)
    {
        string edgeKey = "e2e-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        string address = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}");
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = [],
            EnvironmentName = Environments.Production,
            ContentRootPath = RepositoryLayout.Root,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:Grpc:Url"] = address,
            ["Kestrel:Endpoints:Grpc:Protocols"] = "Http2",
            ["Models:Folders:0"] = modelFolder,
            ["Models:ExecutionProvider"] = "Cpu",
            ["Engine:PrefixCacheMiB"] = "0",
            ["Auth:ApiKeys:0:Name"] = "e2e-edge",
            ["Auth:ApiKeys:0:Role"] = ServiceRoles.Edge,
            ["Auth:ApiKeys:0:Sha256"] = ApiKeyHash.Compute(edgeKey),
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.Extensions.Diagnostics.HealthChecks"] = "None",
            ["Logging:Console:LogToStandardErrorThreshold"] = "Trace",
        });
        WebApplication app = builder.BuildEdgeCloudVlmCloud();
        await app.StartAsync(cancellationToken);
        return new InProcessCloud(app, address, edgeKey);
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }
}
