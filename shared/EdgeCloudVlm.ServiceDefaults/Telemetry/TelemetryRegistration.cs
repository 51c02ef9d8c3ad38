using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace EdgeCloudVlm.ServiceDefaults.Telemetry;

/// <summary>OpenTelemetry traces and metrics; OTLP export only when an endpoint is configured; the Prometheus page.
/// </summary>
internal static class TelemetryRegistration
{
    /// <summary>Makes the ASP.NET Core instrumentation give gRPC calls <c>rpc.*</c> attributes (still marked experimental
    /// by OpenTelemetry); without it a gRPC call is traced as a plain HTTP request.</summary>
    private const string GrpcInstrumentationFlag = "OTEL_DOTNET_EXPERIMENTAL_ASPNETCORE_ENABLE_GRPC_INSTRUMENTATION";

    private const string StandardOtlpEndpoint = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Meters built into .NET and ASP.NET Core that the instrumentation packages do not add themselves.</summary>
    private static readonly string[] BuiltInMeters =
    [
        "System.Runtime",
        "Microsoft.AspNetCore.Authentication",
        "Microsoft.AspNetCore.Authorization",
    ];

    /// <summary>Runtime gauges whose names end in <c>.count</c> become <c>*_count</c> on the Prometheus page, a suffix
    /// Prometheus reserves for histograms and summaries (<c>promtool check metrics</c> rejects it); they are exported
    /// under these names instead, on every exporter, so that OTLP and Prometheus show the same names.</summary>
    internal static readonly IReadOnlyDictionary<string, string> RenamedRuntimeGauges = new Dictionary<string, string>
    {
        ["dotnet.assembly.count"] = "dotnet.assembly.loaded",
        ["dotnet.process.cpu.count"] = "dotnet.process.cpu.available",
        ["dotnet.timer.count"] = "dotnet.timer.active",
    };

    public static void AddServiceTelemetry(IHostApplicationBuilder builder, ServiceDefaultsOptions defaults)
    {
        builder.Services.AddOptions<TelemetryOptions>()
            .BindConfiguration(TelemetryOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => string.IsNullOrWhiteSpace(o.OtlpEndpoint) || TryParseEndpoint(o.OtlpEndpoint, out _),
                $"{TelemetryOptions.SectionName}:OtlpEndpoint must be an absolute http or https URI such as http://otel-collector:4317.")
            .Validate(o => TryParseProtocol(o.OtlpProtocol, out _),
                $"{TelemetryOptions.SectionName}:OtlpProtocol must be 'grpc' or 'http/protobuf'.")
            .Validate(o => o.Metrics.Path.StartsWith('/'),
                $"{TelemetryOptions.SectionName}:Metrics:Path must start with '/'.")
            .ValidateOnStart();

        // Exporter wiring is decided while services are registered, so read the section now; validation above reports
        // a bad value at start with the section's name.
        var settings = builder.Configuration.GetSection(TelemetryOptions.SectionName).Get<TelemetryOptions>() ?? new TelemetryOptions();

        if (builder.Configuration[GrpcInstrumentationFlag] is null)
        {
            builder.Configuration.AddInMemoryCollection([new(GrpcInstrumentationFlag, "true")]);
        }

        var version = defaults.ServiceVersion
                      ?? Assembly.GetEntryAssembly()?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                      ?? "0.0.0";
        // A path without '/' fails validation at start; until then filter on the default.
        var metricsPath = new PathString(settings.Metrics.Path.StartsWith('/') ? settings.Metrics.Path : "/metrics");
        var ratio = Math.Clamp(settings.TraceSampleRatio, 0.0, 1.0);

        var openTelemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(defaults.ServiceName, serviceVersion: version))
            .WithTracing(tracing =>
            {
                tracing.SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(ratio)))
                    .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsProbe(context.Request.Path, metricsPath))
                    .AddHttpClientInstrumentation();
                foreach (var source in defaults.ActivitySources)
                {
                    tracing.AddSource(source);
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddMeter(BuiltInMeters)
                    .AddPrometheusExporter();
                foreach (var (name, rename) in RenamedRuntimeGauges)
                {
                    metrics.AddView(name, new MetricStreamConfiguration { Name = rename });
                }

                foreach (var meter in defaults.Meters)
                {
                    metrics.AddMeter(meter);
                }
            });

        if (!string.IsNullOrWhiteSpace(settings.OtlpEndpoint)
            && TryParseEndpoint(settings.OtlpEndpoint, out var endpoint)
            && TryParseProtocol(settings.OtlpProtocol, out var protocol))
        {
            openTelemetry.UseOtlpExporter(protocol, endpoint);
        }
        else if (!string.IsNullOrWhiteSpace(builder.Configuration[StandardOtlpEndpoint]))
        {
            // Reads the OTEL_EXPORTER_OTLP_* settings itself.
            openTelemetry.UseOtlpExporter();
        }
    }

    internal static bool IsProbe(PathString path, PathString metricsPath) =>
        path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments(metricsPath, StringComparison.OrdinalIgnoreCase);

    internal static bool TryParseEndpoint(string text, [NotNullWhen(true)] out Uri? endpoint) =>
        Uri.TryCreate(text, UriKind.Absolute, out endpoint) && (endpoint.Scheme == Uri.UriSchemeHttp || endpoint.Scheme == Uri.UriSchemeHttps);

    internal static bool TryParseProtocol(string? text, out OtlpExportProtocol protocol)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "grpc":
                protocol = OtlpExportProtocol.Grpc;
                return true;
            case "http/protobuf":
            case "httpprotobuf":
                protocol = OtlpExportProtocol.HttpProtobuf;
                return true;
            default:
                protocol = default;
                return false;
        }
    }
}
