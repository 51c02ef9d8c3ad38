using EdgeCloudVlm.Deployment.Tests.Support;

namespace EdgeCloudVlm.Deployment.Tests.Helm;

/// <summary>Values the chart must refuse at render time, each with a message that says what to fix.</summary>
[Collection(ValidationCollection.Name)]
public sealed class ChartGuardTests(ValidationRun run)
{
    [Fact]
    public async Task Template_PlaintextKeyInsteadOfHash_IsRefused()
    {
        ProcessResult result = await run.TemplateAsync(
            "--set", "auth.apiKeys[0].name=app", "--set", "auth.apiKeys[0].role=application",
            "--set", "auth.apiKeys[0].sha256=my-secret-key");

        Assert.False(result.Succeeded);
        Assert.Contains("sha256", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Template_UnknownRole_IsRefused()
    {
        ProcessResult result = await run.TemplateAsync(
            "--set", "auth.apiKeys[0].name=app", "--set", "auth.apiKeys[0].role=admin",
            "--set", $"auth.apiKeys[0].sha256={new string('a', 64)}");

        Assert.False(result.Succeeded);
        Assert.Contains("role", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Template_GracePeriodNotAboveDrain_IsRefused()
    {
        ProcessResult result = await run.TemplateAsync(
            "--set", "cloud.shutdown.drainSeconds=60", "--set", "cloud.terminationGracePeriodSeconds=60");

        Assert.False(result.Succeeded);
        Assert.Contains("terminationGracePeriodSeconds must be longer", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Template_EdgeWithoutCloudOrAddress_IsRefused()
    {
        ProcessResult result = await run.TemplateAsync("--set", "cloud.enabled=false", "--set", "edge.enabled=true");

        Assert.False(result.Succeeded);
        Assert.Contains("edge.uplink.address is required", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Template_ServiceMonitorWithoutMetricsAccess_IsRefused()
    {
        ProcessResult result = await run.TemplateAsync("--set", "cloud.serviceMonitor.enabled=true");

        Assert.False(result.Succeeded);
        Assert.Contains("metricsAllowAnonymous", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Template_MisspelledValue_IsRefusedBySchema()
    {
        ProcessResult result = await run.TemplateAsync("--set", "cloud.replicas=3");

        Assert.False(result.Succeeded);
        Assert.Contains("replicas", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Template_SameValuesTwice_RendersIdentically()
    {
        ProcessResult first = await run.TemplateAsync("-f", Path.Combine(RepositoryPaths.Chart, "ci", "edge-values.yaml"));
        ProcessResult second = await run.TemplateAsync("-f", Path.Combine(RepositoryPaths.Chart, "ci", "edge-values.yaml"));

        Assert.True(first.Succeeded, first.Output);
        Assert.Equal(first.Output, second.Output);
    }
}
