using System.Net;
using System.Text.Json;
using EdgeCloudVlm.ServiceDefaults.Health;
using EdgeCloudVlm.ServiceDefaults.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EdgeCloudVlm.ServiceDefaults.Tests.Health;

public sealed class HealthEndpointTests
{
    private static Task<TestApp> StartWithComponentsAsync(Action<IHealthChecksBuilder>? checks = null) =>
        TestApp.StartAsync(configureBuilder: builder =>
        {
            builder.Services.AddReadinessComponent("models").AddReadinessComponent("codebooks");
            checks?.Invoke(builder.Services.AddHealthChecks());
        });

    private static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(TestApp app, string path)
    {
        using var client = app.CreateClient();
        using var response = await client.GetAsync(path);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, json.RootElement.Clone());
    }

    [Fact]
    public async Task Ready_ComponentsNotReported_503NamingThem()
    {
        await using var app = await StartWithComponentsAsync();

        var (status, body) = await GetAsync(app, ServiceDefaultsExtensions.ReadinessPath);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("Unhealthy", body.GetProperty("status").GetString());
        Assert.Equal("waiting for: codebooks, models",
            body.GetProperty("checks").GetProperty("readiness-gate").GetProperty("description").GetString());
    }

    [Fact]
    public async Task Live_ComponentsNotReady_200()
    {
        await using var app = await StartWithComponentsAsync();

        var (status, body) = await GetAsync(app, ServiceDefaultsExtensions.LivenessPath);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        Assert.False(body.GetProperty("checks").TryGetProperty("readiness-gate", out _));
    }

    [Fact]
    public async Task Ready_GateFlipped_FollowsEveryComponent()
    {
        await using var app = await StartWithComponentsAsync();
        var gate = app.Services.GetRequiredService<ReadinessGate>();

        gate.MarkReady("models");
        var (oneReady, _) = await GetAsync(app, ServiceDefaultsExtensions.ReadinessPath);
        gate.MarkReady("codebooks");
        var (allReady, _) = await GetAsync(app, ServiceDefaultsExtensions.ReadinessPath);
        gate.MarkNotReady("codebooks", "reloading codebooks");
        var (reloading, body) = await GetAsync(app, ServiceDefaultsExtensions.ReadinessPath);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, oneReady);
        Assert.Equal(HttpStatusCode.OK, allReady);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, reloading);
        var data = body.GetProperty("checks").GetProperty("readiness-gate").GetProperty("data");
        Assert.Equal("reloading codebooks", data.GetProperty("codebooks").GetString());
        Assert.Equal("ready", data.GetProperty("models").GetString());
    }

    [Theory]
    [InlineData(HealthStatus.Unhealthy)]
    [InlineData(HealthStatus.Degraded)]
    public async Task Ready_OtherReadyCheckNotHealthy_503(HealthStatus checkStatus)
    {
        await using var app = await StartWithComponentsAsync(checks => checks.AddCheck("engine",
            () => new HealthCheckResult(checkStatus, "engine queue stalled"), tags: [HealthTags.Ready]));
        var gate = app.Services.GetRequiredService<ReadinessGate>();
        gate.MarkReady("models");
        gate.MarkReady("codebooks");

        var (status, body) = await GetAsync(app, ServiceDefaultsExtensions.ReadinessPath);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("engine queue stalled", body.GetProperty("checks").GetProperty("engine").GetProperty("description").GetString());
    }

    [Fact]
    public async Task Ready_CheckWithoutReadyTag_Ignored()
    {
        await using var app = await StartWithComponentsAsync(checks =>
            checks.AddCheck("untagged", () => HealthCheckResult.Unhealthy("not a readiness concern")));
        var gate = app.Services.GetRequiredService<ReadinessGate>();
        gate.MarkReady("models");
        gate.MarkReady("codebooks");

        var (status, _) = await GetAsync(app, ServiceDefaultsExtensions.ReadinessPath);

        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task Ready_NoComponentsDeclared_200()
    {
        await using var app = await TestApp.StartAsync();

        var (status, _) = await GetAsync(app, ServiceDefaultsExtensions.ReadinessPath);

        Assert.Equal(HttpStatusCode.OK, status);
    }
}
