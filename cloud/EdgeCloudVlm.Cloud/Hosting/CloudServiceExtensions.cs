using EdgeCloudVlm.Cloud.Codebooks;
using EdgeCloudVlm.Cloud.Engine;
using EdgeCloudVlm.Cloud.Frames;
using EdgeCloudVlm.Cloud.Grpc;
using EdgeCloudVlm.Cloud.Idempotency;
using EdgeCloudVlm.Cloud.Ingest;
using EdgeCloudVlm.Cloud.Models;
using EdgeCloudVlm.Cloud.Requests;
using EdgeCloudVlm.Cloud.Rest;
using EdgeCloudVlm.Cloud.Telemetry;
using EdgeCloudVlm.Contracts.V1;
using EdgeCloudVlm.ServiceDefaults;
using EdgeCloudVlm.ServiceDefaults.Authentication;
using EdgeCloudVlm.ServiceDefaults.Health;
using EdgeCloudVlm.ServiceDefaults.RateLimiting;
using Grpc.AspNetCore.Server;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.Cloud.Hosting;

/// <summary>Registration of the cloud service: options, the model catalog and its engines, the codebook registry, the
/// gRPC services (ingest, inference, codebooks, health, reflection) and the OpenAI-compatible REST API.</summary>
public static class CloudServiceExtensions
{
    /// <summary>OpenTelemetry <c>service.name</c> of the cloud service.</summary>
    public const string ServiceName = "edgecloudvlm-cloud";

    /// <summary>The readiness component the model catalog reports: ready once every model and its codebooks are loaded.</summary>
    public const string ModelsReadinessComponent = "models";

    /// <summary>Adds the cloud's own activity source and meter to the shared telemetry setup.</summary>
    public static void ConfigureTelemetry(ServiceDefaultsOptions defaults)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        defaults.ActivitySources.Add(CloudTelemetry.ActivitySourceName);
        defaults.Meters.Add(CloudTelemetry.MeterName);
    }

    /// <summary>
    /// Builds the whole cloud service from <paramref name="builder"/>: the shared defaults (telemetry, auth, rate limits,
    /// health), the cloud's registrations, then its middleware and endpoints. <c>Program.cs</c> and every host that runs
    /// the real service on Kestrel (integration tests, benchmarks) compose it here, so they cannot drift apart.
    /// </summary>
    public static WebApplication BuildEdgeCloudVlmCloud(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddServiceDefaults(ServiceName, ConfigureTelemetry);
        builder.AddEdgeCloudVlmCloud();
        WebApplication app = builder.Build();
        app.MapServiceDefaults();
        app.MapEdgeCloudVlmCloud();
        return app;
    }

    public static WebApplicationBuilder AddEdgeCloudVlmCloud(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        IServiceCollection services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);

        services.AddOptions<ModelCatalogOptions>().BindConfiguration(ModelCatalogOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IPostConfigureOptions<ModelCatalogOptions>, ModelCatalogOptionsSetup>();
        services.AddSingleton<IValidateOptions<ModelCatalogOptions>, ModelCatalogOptionsValidator>();
        services.AddOptions<CodebookRegistryOptions>().BindConfiguration(CodebookRegistryOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IPostConfigureOptions<CodebookRegistryOptions>, CodebookRegistryOptionsSetup>();
        services.AddSingleton<IValidateOptions<CodebookRegistryOptions>, CodebookRegistryOptionsValidator>();
        services.AddOptions<RequestLimitsOptions>().BindConfiguration(RequestLimitsOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<IdempotencyOptions>().BindConfiguration(IdempotencyOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<IngestOptions>().BindConfiguration(IngestOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RestOptions>().BindConfiguration(RestOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<EngineOptions>().BindConfiguration(EngineOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();

        services.TryAddSingleton<ReadinessGate>();
        services.AddReadinessComponent(ModelsReadinessComponent);
        services.AddSingleton<CodebookRegistry>();
        services.AddSingleton<IGenerationEngineFactory, GenerationEngineFactory>();
        services.AddSingleton<ModelCatalog>();
        services.AddHostedService(sp => sp.GetRequiredService<ModelCatalog>());

        services.AddSingleton<FrontEndMetrics>();
        services.AddSingleton<FrameDecoder>();
        services.AddSingleton<RequestBuilder>();
        services.AddSingleton<IdempotencyStore<Final>>();
        services.AddSingleton<IngestFrameServices>();
        services.AddSingleton<ChatCompletionsHandler>();
        services.AddSingleton<RemoteImageFetcher>();
        services.AddHttpClient(RemoteImageFetcher.ClientName);

        services.AddGrpc();
        // Room for the largest payload the limits allow, so an oversized frame gets its own error instead of a
        // transport failure that would end the whole ingest stream.
        services.AddOptions<GrpcServiceOptions>().Configure<IOptions<RequestLimitsOptions>>((grpc, limits) =>
            grpc.MaxReceiveMessageSize = Math.Max(limits.Value.MaxFrameBytes, limits.Value.MaxImageBytes) + (64 * 1024));
        services.AddGrpcReflection();
        services.AddGrpcHealthChecks(options =>
        {
            // Each service is SERVING once the models and codebooks are loaded (the readiness checks pass).
            options.UseHealthChecksCache = false;
            options.Services.Clear();
            foreach (string service in (string[])["", EdgeIngest.Descriptor.FullName, Contracts.V1.Inference.Descriptor.FullName,
                Contracts.V1.Codebooks.Descriptor.FullName])
            {
                options.Services.Map(service, result => result.Tags.Contains(HealthTags.Ready));
            }
        });

        // Last, after everything that registers gRPC services has added the framework's binder.
        services.AddStrictGrpcRequestParsing();

        return builder;
    }

    public static WebApplication MapEdgeCloudVlmCloud(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGrpcService<EdgeIngestGrpcService>().RequireAuthorization(AuthPolicies.Edge).RequireRateLimiting(RateLimitPolicies.PerCaller);
        app.MapGrpcService<InferenceGrpcService>().RequireRateLimiting(RateLimitPolicies.PerCaller);
        app.MapGrpcService<CodebooksGrpcService>().RequireAuthorization(AuthPolicies.Any).RequireRateLimiting(RateLimitPolicies.PerCaller);
        app.MapGrpcHealthChecksService().AllowAnonymous();
        app.MapGrpcReflectionService().RequireAuthorization(AuthPolicies.Any);
        app.MapOpenAiApi().RequireAuthorization(AuthPolicies.Application).RequireRateLimiting(RateLimitPolicies.PerCaller);
        return app;
    }
}
