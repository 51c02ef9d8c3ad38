using EdgeCloudVlm.ServiceDefaults.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.ServiceDefaults.Tests.Telemetry;

public sealed class TelemetryOptionsTests
{
    [Theory]
    [InlineData("Telemetry:OtlpEndpoint", "otel-collector:4317", "OtlpEndpoint must be an absolute http or https URI")]
    [InlineData("Telemetry:OtlpProtocol", "udp", "OtlpProtocol must be 'grpc' or 'http/protobuf'")]
    [InlineData("Telemetry:Metrics:Path", "metrics", "Metrics:Path must start with '/'")]
    [InlineData("Telemetry:TraceSampleRatio", "1.5", "TraceSampleRatio")]
    public async Task Start_BadTelemetryOption_FailsNamingIt(string key, string value, string expected)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() =>
            TestApp.StartAsync(new Dictionary<string, string?> { [key] = value }));

        Assert.Contains(expected, ServiceExceptions.AllMessages(error), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConsoleFormatters_NotConfigured_ScopesOnAndUtc()
    {
        await using var app = await TestApp.StartAsync();

        var json = app.Services.GetRequiredService<IOptionsMonitor<JsonConsoleFormatterOptions>>().CurrentValue;
        var simple = app.Services.GetRequiredService<IOptionsMonitor<SimpleConsoleFormatterOptions>>().CurrentValue;

        Assert.True(json.IncludeScopes);
        Assert.True(json.UseUtcTimestamp);
        Assert.Equal("O", json.TimestampFormat);
        Assert.True(simple.IncludeScopes);
    }

    [Fact]
    public async Task ConsoleFormatters_Configured_ConfigurationWins()
    {
        await using var app = await TestApp.StartAsync(new Dictionary<string, string?>
        {
            ["Logging:Console:FormatterOptions:IncludeScopes"] = "false",
            ["Logging:Console:FormatterOptions:TimestampFormat"] = "HH:mm:ss ",
        });

        var json = app.Services.GetRequiredService<IOptionsMonitor<JsonConsoleFormatterOptions>>().CurrentValue;

        Assert.False(json.IncludeScopes);
        Assert.Equal("HH:mm:ss ", json.TimestampFormat);
    }
}
