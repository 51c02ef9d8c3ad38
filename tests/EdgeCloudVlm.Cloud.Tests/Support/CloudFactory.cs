using System.Net;
using System.Net.Sockets;
using EdgeCloudVlm.Cloud.Models;
using EdgeCloudVlm.Contracts.V1;
using EdgeCloudVlm.ServiceDefaults.Authentication;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeCloudVlm.Cloud.Tests.Support;

/// <summary>
/// The real service (its <c>Program</c>) with test settings: in process on a <c>TestServer</c>, or on real Kestrel
/// listening on free loopback ports through the service's own <c>Kestrel:Endpoints</c> configuration (REST over
/// HTTP/1.1, gRPC over h2c). Two API keys are configured, one per role.
/// </summary>
public sealed class CloudFactory : WebApplicationFactory<Program>
{
    public const string ApplicationKey = "test-application-key";
    public const string EdgeKey = "test-edge-key";

    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;
    private readonly string? _certificatePath;

    /// <param name="kestrel">Host on real Kestrel (free loopback ports) instead of the in-process test server.</param>
    /// <param name="settings">Configuration on top of the test defaults.</param>
    /// <param name="services">Service replacements (test doubles).</param>
    /// <param name="tls">With <paramref name="kestrel"/>: serve REST and gRPC on one HTTPS port (HTTP/1.1 and HTTP/2)
    /// with a self-signed certificate, configured through the endpoint's <c>Certificate</c> settings.</param>
    public CloudFactory(bool kestrel = false, IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null,
        bool tls = false)
    {
        _settings = new Dictionary<string, string?>
        {
            ["Models:ExecutionProvider"] = "Cpu",
            ["Models:IntraOpThreads"] = "1",
            ["Auth:ApiKeys:0:Name"] = "test-application",
            ["Auth:ApiKeys:0:Role"] = ServiceRoles.Application,
            ["Auth:ApiKeys:0:Sha256"] = ApiKeyHash.Compute(ApplicationKey),
            ["Auth:ApiKeys:1:Name"] = "test-edge",
            ["Auth:ApiKeys:1:Role"] = ServiceRoles.Edge,
            ["Auth:ApiKeys:1:Sha256"] = ApiKeyHash.Compute(EdgeKey),
            ["RateLimiting:Enabled"] = "false",
        };
        if (kestrel)
        {
            RestAddress = new Uri($"http://127.0.0.1:{FreePort()}");
            GrpcAddress = new Uri($"http://127.0.0.1:{FreePort()}");
            _settings["Kestrel:Endpoints:Rest:Url"] = RestAddress.ToString();
            _settings["Kestrel:Endpoints:Grpc:Url"] = GrpcAddress.ToString();
            if (tls)
            {
                TlsCertificate = SelfSignedCertificate.Create(out string path, out string password);
                _certificatePath = path;
                RestAddress = GrpcAddress = new Uri($"https://127.0.0.1:{RestAddress.Port}");
                _settings["Kestrel:Endpoints:Rest:Url"] = RestAddress.ToString();
                _settings["Kestrel:Endpoints:Rest:Protocols"] = "Http1AndHttp2";
                _settings["Kestrel:Endpoints:Rest:Certificate:Path"] = path;
                _settings["Kestrel:Endpoints:Rest:Certificate:Password"] = password;
            }

            UseKestrel();
        }

        foreach ((string key, string? value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }

        _services = services;
        IsKestrel = kestrel;
    }

    public bool IsKestrel { get; }

    /// <summary>The server certificate when TLS is on; clients trust exactly this one.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? TlsCertificate { get; }

    /// <summary>The REST endpoint on Kestrel (HTTP/1.1).</summary>
    public Uri? RestAddress { get; }

    /// <summary>The gRPC endpoint on Kestrel (h2c).</summary>
    public Uri? GrpcAddress { get; }

    /// <summary>Starts the host and waits until the model catalog has finished loading.</summary>
    public async Task<CloudFactory> StartAsync()
    {
        if (IsKestrel)
        {
            StartServer();
        }
        else
        {
            _ = Server;
        }

        await Services.GetRequiredService<ModelCatalog>().WhenLoaded.WaitAsync(TimeSpan.FromMinutes(2));
        return this;
    }

    /// <summary>An HTTP client for the REST API, optionally sending an API key as OpenAI clients do.</summary>
    public HttpClient CreateRestClient(string? apiKey = ApplicationKey)
    {
        HttpClient client = IsKestrel
            ? new HttpClient(KestrelHandler()) { BaseAddress = RestAddress }
            : CreateClient();
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiKey);
        }

        return client;
    }

    /// <summary>A gRPC channel that sends <paramref name="apiKey"/> as <c>x-api-key</c>: over real HTTP/2 on Kestrel,
    /// over the test server's handler in process.</summary>
    public GrpcChannel CreateGrpcChannel(string? apiKey)
    {
        HttpMessageHandler inner = IsKestrel ? KestrelHandler() : Server.CreateHandler();
        HttpMessageHandler handler = apiKey is null ? inner : new ApiKeyHandler(apiKey) { InnerHandler = inner };
        Uri address = IsKestrel ? GrpcAddress! : Server.BaseAddress;
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler, MaxReceiveMessageSize = 64 * 1024 * 1024 });
    }

    public EdgeIngest.EdgeIngestClient CreateIngestClient(string? apiKey = EdgeKey) => new(CreateGrpcChannel(apiKey));

    public Contracts.V1.Inference.InferenceClient CreateInferenceClient(string? apiKey = ApplicationKey) => new(CreateGrpcChannel(apiKey));

    public Contracts.V1.Codebooks.CodebooksClient CreateCodebooksClient(string? apiKey = EdgeKey) => new(CreateGrpcChannel(apiKey));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // Not Development: the demo keys of appsettings.Development.json must not apply here.
        builder.UseEnvironment("Testing");
        builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(_settings));
        if (_services is not null)
        {
            builder.ConfigureTestServices(_services);
        }
    }

    private SocketsHttpHandler KestrelHandler()
    {
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true };
        if (TlsCertificate is { } certificate)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) =>
                presented is not null && presented.GetCertHashString() == certificate.GetCertHashString();
        }

        return handler;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            TlsCertificate?.Dispose();
            if (_certificatePath is not null)
            {
                Directory.Delete(Path.GetDirectoryName(_certificatePath)!, recursive: true);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class ApiKeyHandler(string apiKey) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.TryAddWithoutValidation("x-api-key", apiKey);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
