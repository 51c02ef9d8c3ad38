using System.Net;
using EdgeCloudVlm.Edge.Codebooks;
using EdgeCloudVlm.Edge.Inputs;
using EdgeCloudVlm.Edge.Pipeline;
using EdgeCloudVlm.Edge.Results;
using EdgeCloudVlm.Edge.Spool;
using EdgeCloudVlm.Edge.State;
using EdgeCloudVlm.Edge.Telemetry;
using EdgeCloudVlm.Edge.Uplink;
using EdgeCloudVlm.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.Edge.Hosting;

/// <summary>Registration of the agent: options, the shared parts, the background services and the loopback endpoint.</summary>
public static class EdgeAgentExtensions
{
    public const string ServiceName = "edgecloudvlm-edge";

    /// <summary>Everything <c>ecv-edge run</c> needs, on a web application builder (Kestrel serves the loopback endpoint).</summary>
    public static WebApplicationBuilder AddEdgeAgent(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddServiceDefaults(ServiceName, o =>
        {
            o.ActivitySources.Add(EdgeTelemetry.Name);
            o.Meters.Add(EdgeTelemetry.Name);
        });
        builder.Services.AddSystemd();
        builder.Services.AddEdgeCore();
        builder.Services.AddEdgeAgentServices();
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            LocalEndpointOptions local = context.Configuration.GetSection(LocalEndpointOptions.SectionName).Get<LocalEndpointOptions>() ?? new LocalEndpointOptions();
            IPAddress address = IPAddress.TryParse(local.Address, out IPAddress? parsed) && IPAddress.IsLoopback(parsed)
                ? parsed
                : throw new OptionsValidationException(LocalEndpointOptions.SectionName, typeof(LocalEndpointOptions),
                    [$"{LocalEndpointOptions.SectionName}:Address '{local.Address}' is not a loopback address; the endpoint takes no credentials, so it only listens on loopback"]);
            kestrel.Listen(address, local.Port);
            kestrel.Limits.MaxRequestBodySize = local.MaxImageBytes;
        });
        return builder;
    }

    /// <summary>Maps the endpoint and records where it listens once started.</summary>
    public static WebApplication UseEdgeAgent(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapEdgeEndpoints();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            string? address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
            StatusReporter reporter = app.Services.GetRequiredService<StatusReporter>();
            reporter.LocalEndpoint = address;

            // At once, not at the next tick: `status` finds the endpoint (a dynamic port too) through this file.
            try
            {
                StateFileWriter.Write(app.Services.GetRequiredService<IOptions<StatusOptions>>().Value.StateFile, reporter.Snapshot());
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        });
        return app;
    }

    /// <summary>Options and the parts <c>ask</c> and <c>codebook pull</c> share with the daemon: model, codebooks,
    /// encoder, cloud connection.</summary>
    public static IServiceCollection AddEdgeCore(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddOptions<EdgeOptions>().BindConfiguration(EdgeOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IPostConfigureOptions<EdgeOptions>, EdgeOptionsDefaults>();
        services.AddSingleton<IPostConfigureOptions<CodecOptions>, EdgePathDefaults>();
        services.AddSingleton<IPostConfigureOptions<SpoolOptions>, EdgePathDefaults>();
        services.AddSingleton<IPostConfigureOptions<ResultsOptions>, EdgePathDefaults>();
        services.AddSingleton<IPostConfigureOptions<StatusOptions>, EdgePathDefaults>();
        services.AddOptions<CodecOptions>().BindConfiguration(CodecOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => string.IsNullOrWhiteSpace(o.CodebookId) || Codec.Codebooks.CodebookId.TryParse(o.CodebookId.Trim().ToLowerInvariant(), out _),
                "Edge:Codec:CodebookId must be 64 hex digits")
            .ValidateOnStart();
        services.AddOptions<UplinkOptions>().BindConfiguration(UplinkOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => o.Address is { IsAbsoluteUri: true } a && a.Scheme is "http" or "https", "Edge:Uplink:Address must be an absolute http:// or https:// URL")
            .Validate(o => o.ApiKeyHeader is "authorization" or "x-api-key", "Edge:Uplink:ApiKeyHeader must be 'authorization' or 'x-api-key'")
            .Validate(o => o.ConnectTimeout > TimeSpan.Zero && o.RetryBaseDelay > TimeSpan.Zero && o.RetryMaxDelay >= o.RetryBaseDelay,
                "Edge:Uplink: ConnectTimeout and RetryBaseDelay must be positive and RetryMaxDelay at least RetryBaseDelay")
            .ValidateOnStart();
        services.AddOptions<SpoolOptions>().BindConfiguration(SpoolOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PipelineOptions>().BindConfiguration(PipelineOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ResultsOptions>().BindConfiguration(ResultsOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<WatchOptions>().BindConfiguration(WatchOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => o.SettleTime >= TimeSpan.Zero && o.RescanInterval > TimeSpan.Zero, "Edge:Watch: SettleTime must not be negative and RescanInterval must be positive")
            .ValidateOnStart();
        services.AddOptions<LocalEndpointOptions>().BindConfiguration(LocalEndpointOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<StatusOptions>().BindConfiguration(StatusOptions.SectionName).ValidateOnStart();

        services.AddSingleton<EdgeTelemetry>();
        services.AddSingleton<AgentStatus>();
        services.AddSingleton(sp =>
        {
            EdgeOptions edge = sp.GetRequiredService<IOptions<EdgeOptions>>().Value;
            return VisionHead.Load(
                edge.ModelFolder ?? throw new InvalidOperationException("Edge:ModelFolder is not set and no models/shapes-vqa was found above the working directory"),
                edge,
                sp.GetRequiredService<ILoggerFactory>());
        });
        services.AddSingleton<CodebookStore>();
        services.AddSingleton<FrameEncoder>();
        services.AddSingleton<IFrameEncoder>(sp => sp.GetRequiredService<FrameEncoder>());
        services.AddSingleton(sp => new IngestConnector(sp.GetRequiredService<IOptions<UplinkOptions>>().Value, sp.GetRequiredService<ILoggerFactory>()));
        return services;
    }

    private static IServiceCollection AddEdgeAgentServices(this IServiceCollection services)
    {
        services.AddSingleton(sp =>
        {
            EdgeTelemetry telemetry = sp.GetRequiredService<EdgeTelemetry>();
            FrameSpool spool = FrameSpool.Open(
                sp.GetRequiredService<IOptions<SpoolOptions>>().Value,
                sp.GetRequiredService<ILogger<FrameSpool>>(),
                sp.GetRequiredService<TimeProvider>(),
                telemetry);
            telemetry.ObserveSpool(() => spool.Depth, () => spool.Bytes);
            return spool;
        });
        services.AddSingleton<SendScheduler>();
        services.AddSingleton<OutcomeQueue>();
        services.AddSingleton<AckQueue>();
        services.AddSingleton<ResultWaiters>();
        services.AddHttpClient(CallbackSink.HttpClientName);
        services.AddSingleton(sp => new CallbackSink(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(CallbackSink.HttpClientName),
            sp.GetRequiredService<IOptions<ResultsOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<CallbackSink>>()));
        services.AddSingleton(sp =>
        {
            ResultsOptions results = sp.GetRequiredService<IOptions<ResultsOptions>>().Value;
            FrameSpool spool = sp.GetRequiredService<FrameSpool>();
            JsonLinesSink? jsonLines = string.IsNullOrEmpty(results.JsonLinesPath)
                ? null
                : JsonLinesSink.Open(results.JsonLinesPath, spool, sp.GetRequiredService<ILogger<JsonLinesSink>>());
            return new ResultDispatcher(
                spool,
                jsonLines,
                results.Console,
                results.CallbackUrl,
                sp.GetRequiredService<CallbackSink>(),
                sp.GetRequiredService<ResultWaiters>(),
                sp.GetRequiredService<EdgeTelemetry>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<ResultDispatcher>>());
        });
        services.AddSingleton<FramePipeline>();
        services.AddSingleton<IFrameIntake>(sp => sp.GetRequiredService<FramePipeline>());
        services.AddSingleton<StatusReporter>();

        // Start order matters: codebook before the pipeline encodes, deliveries before the uplink produces outcomes.
        services.AddHostedService<CodebookBootstrapService>();
        services.AddHostedService<ResultDeliveryService>();
        services.AddHostedService(sp => sp.GetRequiredService<FramePipeline>());
        services.AddHostedService<UplinkService>();
        services.AddHostedService<FolderWatcher>();
        services.AddHostedService<StateFileWriter>();
        return services;
    }
}
