using EdgeCloudVlm.ServiceDefaults.Authentication;
using EdgeCloudVlm.ServiceDefaults.Health;
using EdgeCloudVlm.ServiceDefaults.RateLimiting;
using EdgeCloudVlm.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.ServiceDefaults;

/// <summary>The cross-cutting setup both EdgeCloudVlm services share. Call <see cref="AddServiceDefaults{TBuilder}"/>
/// on the builder and <see cref="MapServiceDefaults"/> on the built application:
/// <code>
/// var builder = WebApplication.CreateBuilder(args);
/// builder.AddServiceDefaults("edgecloudvlm-cloud", o =>
/// {
///     o.ActivitySources.Add("EdgeCloudVlm.Cloud");
///     o.Meters.Add("EdgeCloudVlm.Cloud");
/// });
/// builder.Services.AddReadinessComponent("models");
/// var app = builder.Build();
/// app.MapServiceDefaults();
/// app.MapPost("/v1/chat/completions", ...).RequireAuthorization(AuthPolicies.Application)
///    .RequireRateLimiting(RateLimitPolicies.PerCaller);
/// app.Run();
/// </code>
/// </summary>
/// <remarks>
/// <para>What <see cref="AddServiceDefaults{TBuilder}"/> registers:</para>
/// <list type="bullet">
/// <item>OpenTelemetry: resource <c>service.name</c>/<c>service.version</c>; traces from ASP.NET Core (gRPC calls
/// included, with <c>rpc.*</c> attributes), HttpClient and <see cref="ServiceDefaultsOptions.ActivitySources"/>; metrics
/// from ASP.NET Core, Kestrel, HttpClient, the .NET runtime (<c>System.Runtime</c>), authentication, authorization,
/// the rate limiter and <see cref="ServiceDefaultsOptions.Meters"/>; OTLP export of traces, metrics and logs only when
/// <c>Telemetry:OtlpEndpoint</c> or <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (<see cref="TelemetryOptions"/>).</item>
/// <item>Console logging with scopes; <c>Logging:Console:FormatterName=json</c> selects JSON lines.</item>
/// <item>Health checks: <see cref="HealthTags.Live"/> (always healthy) and <see cref="HealthTags.Ready"/> (the
/// <see cref="ReadinessGate"/> plus any check the service adds with that tag).</item>
/// <item>Graceful shutdown (<see cref="ShutdownOptions"/>): host shutdown timeout, readiness off on SIGTERM.</item>
/// <item>Authentication: API keys stored as SHA-256 hashes (<see cref="ApiKeyOptions"/>), optional mutual TLS
/// (<see cref="ClientCertificateOptions"/>); policies <see cref="AuthPolicies"/>, with <see cref="AuthPolicies.Any"/>
/// as the fallback for endpoints that declare nothing.</item>
/// <item>Rate limiting: policy <see cref="RateLimitPolicies.PerCaller"/> (<see cref="RateLimitOptions"/>).</item>
/// </list>
/// <para>All options are validated when the host starts; a bad value stops it with a message naming the setting.</para>
/// </remarks>
public static class ServiceDefaultsExtensions
{
    /// <summary>Path of the liveness probe: 200 while the process runs.</summary>
    public const string LivenessPath = "/health/live";

    /// <summary>Path of the readiness probe: 200 only when every <see cref="HealthTags.Ready"/> check is healthy.</summary>
    public const string ReadinessPath = "/health/ready";

    /// <summary>Registers telemetry, logging defaults, health, graceful shutdown, authentication, authorization and rate
    /// limiting.</summary>
    /// <param name="builder">The host builder (a <c>WebApplicationBuilder</c> for services with endpoints).</param>
    /// <param name="serviceName">OpenTelemetry service name, e.g. <c>edgecloudvlm-cloud</c>.</param>
    /// <param name="configure">Adds the service's own activity sources and meters.</param>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder, string serviceName,
        Action<ServiceDefaultsOptions>? configure = null)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceName);
        var defaults = new ServiceDefaultsOptions(serviceName);
        configure?.Invoke(defaults);

        var services = builder.Services;
        services.AddSingleton(defaults);
        LoggingDefaults.AddLoggingDefaults(builder);
        TelemetryRegistration.AddServiceTelemetry(builder, defaults);

        services.AddSingleton<ReadinessGate>();
        services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy("process is running"), tags: [HealthTags.Live])
            .AddCheck<ReadinessGateHealthCheck>(ReadinessGateHealthCheck.Name, tags: [HealthTags.Ready]);

        services.AddOptions<ShutdownOptions>()
            .BindConfiguration(ShutdownOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.ReadinessDelaySeconds < o.DrainSeconds || o.ReadinessDelaySeconds == 0,
                $"{ShutdownOptions.SectionName}:ReadinessDelaySeconds must be shorter than DrainSeconds.")
            .ValidateOnStart();
        services.AddOptions<HostOptions>().Configure<IOptions<ShutdownOptions>>((host, shutdown) =>
            host.ShutdownTimeout = TimeSpan.FromSeconds(shutdown.Value.DrainSeconds));
        services.AddHostedService<ShutdownReadinessService>();

        AuthenticationRegistration.AddServiceAuthentication(services);
        RateLimitRegistration.AddServiceRateLimiting(services);
        return builder;
    }

    /// <summary>Declares a component that <see cref="ReadinessGate"/> waits for: the service is not ready until
    /// something calls <see cref="ReadinessGate.MarkReady"/> with this name.</summary>
    public static IServiceCollection AddReadinessComponent(this IServiceCollection services, string component)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(component);
        return services.AddSingleton(new ReadinessComponent(component));
    }

    /// <summary>Adds the authentication, rate limiting and authorization middleware (in that order, so the limiter can
    /// partition by the authenticated caller and a caller with a wrong key is still limited by address), and maps
    /// <see cref="LivenessPath"/> and <see cref="ReadinessPath"/> (anonymous) and the Prometheus page (any key, or
    /// anonymous when <c>Telemetry:Metrics:AllowAnonymous</c> is true).</summary>
    /// <remarks>Call once, before <c>Run</c>, and do not add <c>UseAuthentication</c>/<c>UseAuthorization</c>/
    /// <c>UseRateLimiter</c> yourself. The service's own endpoints may be mapped before or after.</remarks>
    /// <exception cref="InvalidOperationException"><see cref="AddServiceDefaults{TBuilder}"/> was not called.</exception>
    public static WebApplication MapServiceDefaults(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.Services.GetService<ServiceDefaultsOptions>() is null)
        {
            throw new InvalidOperationException("MapServiceDefaults needs builder.AddServiceDefaults(...) first.");
        }

        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();

        app.MapHealthChecks(LivenessPath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(HealthTags.Live),
            ResponseWriter = HealthResponseWriter.WriteAsync,
        }).AllowAnonymous().DisableHttpMetrics();

        app.MapHealthChecks(ReadinessPath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(HealthTags.Ready),
            ResponseWriter = HealthResponseWriter.WriteAsync,
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
        }).AllowAnonymous().DisableHttpMetrics();

        var metrics = app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value.Metrics;
        var page = app.MapPrometheusScrapingEndpoint(metrics.Path).DisableHttpMetrics();
        if (metrics.AllowAnonymous)
        {
            page.AllowAnonymous();
        }
        else
        {
            page.RequireAuthorization(AuthPolicies.Any);
        }

        return app;
    }
}
