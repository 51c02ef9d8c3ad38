using System.Net;
using EdgeCloudVlm.ServiceDefaults.Authentication;
using EdgeCloudVlm.ServiceDefaults.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeCloudVlm.ServiceDefaults.Tests.TestSupport;

/// <summary>A service built the way the real ones are (<c>AddServiceDefaults</c> + <c>MapServiceDefaults</c>) with a
/// few endpoints per policy; hosted on TestServer, or on Kestrel over loopback where the network is under test.</summary>
internal sealed class TestApp : IAsyncDisposable
{
    public const string GrpcEdgeMethod = "/test.Probe/Edge";
    public const string GrpcApplicationMethod = "/test.Probe/Application";

    private TestApp(WebApplication app, CapturedLogs logs, Uri? kestrelAddress)
    {
        App = app;
        Logs = logs;
        KestrelAddress = kestrelAddress;
    }

    public WebApplication App { get; }

    public CapturedLogs Logs { get; }

    /// <summary>The bound loopback address when hosted on Kestrel.</summary>
    public Uri? KestrelAddress { get; }

    public IServiceProvider Services => App.Services;

    /// <summary>An HttpClient for TestServer (not for Kestrel hosts).</summary>
    public HttpClient CreateClient(string? apiKey = null, bool bearer = true)
    {
        var client = App.GetTestClient();
        Authorize(client, apiKey, bearer);
        return client;
    }

    public static void Authorize(HttpClient client, string? apiKey, bool bearer = true)
    {
        if (apiKey is null)
        {
            return;
        }

        if (bearer)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiKey);
        }
        else
        {
            client.DefaultRequestHeaders.Add("x-api-key", apiKey);
        }
    }

    /// <summary>Builds and starts the app. <paramref name="settings"/> is added over <see cref="TestKeys.Settings"/>
    /// (unless <paramref name="includeTestKeys"/> is false).</summary>
    public static async Task<TestApp> StartAsync(
        IDictionary<string, string?>? settings = null,
        Action<ServiceDefaultsOptions>? configureDefaults = null,
        Action<WebApplicationBuilder>? configureBuilder = null,
        Action<KestrelServerOptions>? kestrel = null,
        bool includeTestKeys = true)
    {
        var app = Build(settings, configureDefaults, configureBuilder, kestrel, includeTestKeys, out var logs);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        Uri? address = null;
        if (kestrel is not null)
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!;
            address = new Uri(addresses.Addresses.First());
        }

        return new TestApp(app, logs, address);
    }

    /// <summary>Builds without starting, for tests of start-time validation.</summary>
    public static WebApplication Build(
        IDictionary<string, string?>? settings,
        Action<ServiceDefaultsOptions>? configureDefaults,
        Action<WebApplicationBuilder>? configureBuilder,
        Action<KestrelServerOptions>? kestrel,
        bool includeTestKeys,
        out CapturedLogs logs)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = "Testing",
            ApplicationName = typeof(TestApp).Assembly.GetName().Name,
        });
        var all = includeTestKeys ? TestKeys.Settings() : [];
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(all);
        var captured = new CapturedLogs();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(captured);
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Logging.AddFilter((_, _) => true);

        builder.AddServiceDefaults("servicedefaults-tests", o =>
        {
            o.ServiceVersion = "1.2.3";
            configureDefaults?.Invoke(o);
        });

        if (kestrel is not null)
        {
            builder.WebHost.UseKestrel();
            builder.WebHost.ConfigureKestrel(kestrel);
        }
        else
        {
            builder.WebHost.UseTestServer();
        }

        configureBuilder?.Invoke(builder);

        var app = builder.Build();
        app.MapServiceDefaults();
        MapProbes(app);
        logs = captured;
        return app;
    }

    /// <summary>Kestrel on a free loopback port.</summary>
    public static Action<KestrelServerOptions> Loopback(HttpProtocols protocols = HttpProtocols.Http1AndHttp2) =>
        k => k.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = protocols);

    private static void MapProbes(WebApplication app)
    {
        static string Caller(HttpContext context) => context.User.Identity?.Name ?? "(anonymous)";

        app.MapGet("/test/edge", Caller).RequireAuthorization(AuthPolicies.Edge);
        app.MapGet("/test/application", Caller).RequireAuthorization(AuthPolicies.Application);
        app.MapGet("/test/any", Caller).RequireAuthorization(AuthPolicies.Any);
        app.MapGet("/test/unmarked", Caller);
        app.MapGet("/test/limited", Caller).RequireAuthorization(AuthPolicies.Any).RequireRateLimiting(RateLimitPolicies.PerCaller);

        // Stand-ins for gRPC methods: one empty message and status OK, as a real unary method answers.
        static async Task GrpcOk(HttpContext context)
        {
            context.Response.ContentType = "application/grpc";
            await context.Response.Body.WriteAsync(new byte[5]);
            context.Response.AppendTrailer("grpc-status", "0");
        }

        app.MapPost(GrpcEdgeMethod, GrpcOk).RequireAuthorization(AuthPolicies.Edge).RequireRateLimiting(RateLimitPolicies.PerCaller);
        app.MapPost(GrpcApplicationMethod, GrpcOk).RequireAuthorization(AuthPolicies.Application);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
