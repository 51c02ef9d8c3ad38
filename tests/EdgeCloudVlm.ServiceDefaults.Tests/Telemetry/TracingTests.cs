using System.Diagnostics;
using EdgeCloudVlm.ServiceDefaults.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace EdgeCloudVlm.ServiceDefaults.Tests.Telemetry;

public sealed class TracingTests
{
    [Fact]
    public async Task ActivitySource_Configured_IsListenedTo()
    {
        var name = "EdgeCloudVlm.Tests.Traced." + Guid.NewGuid().ToString("N");
        await using var app = await TestApp.StartAsync(configureDefaults: o => o.ActivitySources.Add(name));
        using var configured = new ActivitySource(name);
        using var other = new ActivitySource("EdgeCloudVlm.Tests.NotTraced." + Guid.NewGuid().ToString("N"));

        using var traced = configured.StartActivity("dequantize");
        using var untraced = other.StartActivity("ignored");

        Assert.NotNull(traced);
        Assert.True(traced.Recorded);
        Assert.Null(untraced);
    }

    public static TheoryData<string, string, string> OtlpSettings() => new()
    {
        { "Telemetry:OtlpEndpoint", "Telemetry:OtlpProtocol", "http/protobuf" },
        { "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf" },
    };

    [Theory]
    [MemberData(nameof(OtlpSettings))]
    public async Task Otlp_EndpointConfigured_ExportsServerSpansButNotProbes(string endpointKey, string protocolKey, string protocol)
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        var source = "EdgeCloudVlm.Tests.Otlp." + Guid.NewGuid().ToString("N");
        await using var app = await TestApp.StartAsync(
            new Dictionary<string, string?>
            {
                [endpointKey] = receiver.Address.ToString().TrimEnd('/'),
                [protocolKey] = protocol,
            },
            configureDefaults: o => o.ActivitySources.Add(source));
        using var client = app.CreateClient(TestKeys.EdgeKey);
        (await client.GetAsync(ServiceDefaultsExtensions.LivenessPath)).Dispose();
        (await client.GetAsync("/test/edge")).Dispose();
        using (var activitySource = new ActivitySource(source))
        using (activitySource.StartActivity("vision-tail"))
        {
        }

        var tracer = app.Services.GetRequiredService<TracerProvider>();
        // The server span ends just after the response is sent; flush until it has been exported (bounded).
        for (var i = 0; i < 100 && !receiver.Saw("/v1/traces", "/test/edge"); i++)
        {
            tracer.ForceFlush();
            await Task.Delay(50);
        }

        Assert.True(receiver.Saw("/v1/traces", "/test/edge"), "no ASP.NET Core span reached the OTLP receiver");
        Assert.True(receiver.Saw("/v1/traces", "vision-tail"));
        Assert.True(receiver.Saw("/v1/traces", "servicedefaults-tests"));
        Assert.False(receiver.Saw("/v1/traces", ServiceDefaultsExtensions.LivenessPath));
    }
}
