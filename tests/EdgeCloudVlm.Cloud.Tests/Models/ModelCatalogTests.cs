using System.Net;
using EdgeCloudVlm.Cloud.Models;
using EdgeCloudVlm.Cloud.Tests.Support;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeCloudVlm.Cloud.Tests.Models;

/// <summary>The service before its models are loaded: not ready, and requests are refused as retryable.</summary>
public sealed class ModelCatalogTests
{
    [Fact]
    public async Task Service_BeforeModelsLoad_IsNotReadyAndRefusesWith503()
    {
        GatedEngineFactory? gate = null;
        await using var factory = new CloudFactory(services: s =>
        {
            s.AddSingleton<GenerationEngineFactory>();
            s.AddSingleton<IGenerationEngineFactory>(sp => gate = new GatedEngineFactory(sp.GetRequiredService<GenerationEngineFactory>()));
        });
        using HttpClient http = factory.CreateRestClient();

        using HttpResponseMessage before = await http.GetAsync("/health/ready");
        using HttpResponseMessage models = await http.GetAsync("/v1/models");
        var health = new Health.HealthClient(factory.CreateGrpcChannel(apiKey: null));
        HealthCheckResponse grpcBefore = await health.CheckAsync(new HealthCheckRequest { Service = "edgecloudvlm.v1.EdgeIngest" });
        SpinWait.SpinUntil(() => gate is not null, TimeSpan.FromSeconds(30));
        gate!.Release();
        await factory.Services.GetRequiredService<ModelCatalog>().WhenLoaded;
        using HttpResponseMessage after = await http.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, before.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, models.StatusCode);
        Assert.NotNull(models.Headers.RetryAfter);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, grpcBefore.Status);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }
}
