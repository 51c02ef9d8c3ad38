using EdgeCloudVlm.Deployment.Tests.Support;

namespace EdgeCloudVlm.Deployment.Tests.Configuration;

/// <summary>The key checker the chart, image and compose tests rely on: it must see the services' options, accept
/// what they document, and catch misspelled keys and bad values.</summary>
public sealed class ServiceConfigurationTests
{
    [Fact]
    public void Sections_Cloud_IncludeEveryOptionsSectionItBinds()
    {
        string[] expected = ["Models", "Codebooks", "Engine", "Limits", "Idempotency", "Ingest", "Rest",
            "Auth", "Auth:ClientCertificates", "RateLimiting", "Telemetry", "Shutdown"];

        Assert.Subset(ServiceConfiguration.Cloud.Sections.ToHashSet(StringComparer.OrdinalIgnoreCase), expected.ToHashSet(StringComparer.OrdinalIgnoreCase));
    }

    [Fact]
    public void Sections_Edge_IncludeEveryOptionsSectionItBinds()
    {
        string[] expected = ["Edge", "Edge:Uplink", "Edge:Spool", "Edge:Codec", "Edge:Pipeline", "Edge:Results",
            "Edge:Watch", "Edge:Http", "Edge:Status", "Telemetry", "Shutdown"];

        Assert.Subset(ServiceConfiguration.Edge.Sections.ToHashSet(StringComparer.OrdinalIgnoreCase), expected.ToHashSet(StringComparer.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData("cloud")]
    [InlineData("edge")]
    public void AppSettings_EveryDocumentedSetting_IsBoundByAnOptionsClass(string service)
    {
        ServiceConfiguration configuration = ServiceConfiguration.For(service);
        Dictionary<string, string?> documented = configuration.AppSettings
            .Where(p => !p.Key.StartsWith("Logging:", StringComparison.OrdinalIgnoreCase)
                && !p.Key.StartsWith("Kestrel:", StringComparison.OrdinalIgnoreCase) && p.Key != "AllowedHosts")
            .ToDictionary(p => p.Key, p => p.Value);

        Assert.NotEmpty(documented);
        List<string> problems = configuration.Check(documented);
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void Check_ValidSettingsInEnvironmentForm_ReportsNothing()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Engine__KvCacheMemoryMiB"] = "1024",
            ["Engine__DefaultDeadline"] = "00:00:30",
            ["Models__ExecutionProvider"] = "cuda",
            ["Models__Folders__3"] = "/models/x",
            ["Auth__ApiKeys__0__Sha256"] = new string('a', 64),
            ["Auth__ClientCertificates__TrustedCaFiles__0"] = "/tls/ca.pem",
            ["Telemetry__Metrics__AllowAnonymous"] = "true",
            ["Telemetry__OtlpEndpoint"] = "${ECV_OTLP_ENDPOINT:-}",
            ["Kestrel__Endpoints__Rest__Url"] = "http://+:5080",
            ["Logging__Console__FormatterName"] = "json",
            ["ASPNETCORE_HTTP_PORTS"] = "",
        };

        Assert.Empty(ServiceConfiguration.Cloud.Check(settings));
    }

    [Theory]
    [InlineData("Engine__KvCacheMemoryMB", "1024", "does not bind it")]
    [InlineData("Engine__KvCacheMemoryMiB", "lots", "Failed to convert")]
    [InlineData("Engine__KvCacheMemoryMiB", "0", "refuses '0'")]
    [InlineData("Models__ExecutionProvider", "Gpu", "Failed to convert")]
    [InlineData("Modles__Folders__0", "/models/x", "no options class")]
    [InlineData("Kestrel__Endpoints__Https__Url", "https://+:5443", "no options class")]
    [InlineData("Telemetry__OtlpEndpoint", "${OTLP:-not a url}", null)]
    public void Check_BadSetting_IsReportedWithItsKey(string key, string value, string? reason)
    {
        List<string> problems = ServiceConfiguration.Cloud.Check(new Dictionary<string, string?> { [key] = value });

        if (reason is null)
        {
            // Free-form strings are the service's own start-up validation's business.
            Assert.Empty(problems);
            return;
        }

        string problem = Assert.Single(problems);
        Assert.StartsWith(key + ":", problem, StringComparison.Ordinal);
        Assert.Contains(reason, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_CloudSettingOnTheEdge_IsReported()
    {
        List<string> problems = ServiceConfiguration.Edge.Check(new Dictionary<string, string?> { ["Engine__KvCacheMemoryMiB"] = "64" });

        Assert.Single(problems);
    }
}
