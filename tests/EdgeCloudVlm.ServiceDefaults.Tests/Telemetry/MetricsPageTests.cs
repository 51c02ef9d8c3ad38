using System.Diagnostics.Metrics;
using System.Net;
using EdgeCloudVlm.ServiceDefaults.Tests.TestSupport;

namespace EdgeCloudVlm.ServiceDefaults.Tests.Telemetry;

public sealed class MetricsPageTests
{
    [Fact]
    public async Task Metrics_NoKeyByDefault_401()
    {
        await using var app = await TestApp.StartAsync();
        using var client = app.CreateClient();

        using var response = await client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData(TestKeys.EdgeKey)]
    [InlineData(TestKeys.ApplicationKey)]
    public async Task Metrics_AnyValidKey_PrometheusText(string key)
    {
        await using var app = await TestApp.StartAsync();
        using var client = app.CreateClient(key);

        using var response = await client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("# TYPE target_info gauge", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_AllowAnonymous_OpenWithoutKey()
    {
        await using var app = await TestApp.StartAsync(new Dictionary<string, string?> { ["Telemetry:Metrics:AllowAnonymous"] = "true" });
        using var client = app.CreateClient();

        using var response = await client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Metrics_CustomPath_ServedThere()
    {
        await using var app = await TestApp.StartAsync(new Dictionary<string, string?> { ["Telemetry:Metrics:Path"] = "/internal/metrics" });
        using var client = app.CreateClient(TestKeys.EdgeKey);

        using var response = await client.GetAsync("/internal/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("target_info", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_Resource_NamesServiceAndVersion()
    {
        await using var app = await TestApp.StartAsync();
        using var client = app.CreateClient(TestKeys.EdgeKey);

        var page = await client.GetStringAsync("/metrics");

        var targetInfo = page.Split('\n').Single(l => l.StartsWith("target_info{", StringComparison.Ordinal));
        Assert.Contains("service_name=\"servicedefaults-tests\"", targetInfo, StringComparison.Ordinal);
        Assert.Contains("service_version=\"1.2.3\"", targetInfo, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_OwnMeterAndServerTraffic_PassPromtoolCheck()
    {
        var meterName = "EdgeCloudVlm.ServiceDefaults.Tests.Promtool";
        await using var app = await TestApp.StartAsync(
            configureDefaults: o => o.Meters.Add(meterName),
            kestrel: TestApp.Loopback());
        using var meter = new Meter(meterName);
        var frames = meter.CreateCounter<long>("ecv.test.frames", "{frame}", "Frames received from edge devices.");
        var frameBytes = meter.CreateCounter<long>("ecv.test.frame.size", "By", "Bytes of compressed frames received.");
        var ttft = meter.CreateHistogram<double>("ecv.test.time_to_first_token", "s", "Time to the first output token.");
        var queue = meter.CreateUpDownCounter<long>("ecv.test.queue.depth", "{request}", "Requests waiting for a batch slot.");
        meter.CreateObservableGauge("ecv.test.cache.size", () => 4096.0, "By", "Bytes held by the prefix cache.");
        frames.Add(3, new KeyValuePair<string, object?>("model", "shapes-vqa"), new KeyValuePair<string, object?>("status", "ok"));
        frames.Add(1, new KeyValuePair<string, object?>("model", "shapes-vqa"), new KeyValuePair<string, object?>("status", "unknown_codebook"));
        frameBytes.Add(845);
        ttft.Record(0.012);
        ttft.Record(0.25);
        queue.Add(2);
        queue.Add(-1);

        using var client = new HttpClient { BaseAddress = app.KestrelAddress };
        TestApp.Authorize(client, TestKeys.EdgeKey);
        (await client.GetAsync("/test/edge")).Dispose();
        (await client.GetAsync("/test/application")).Dispose();
        var page = await client.GetStringAsync("/metrics");

        Assert.Contains("ecv_test_frames_total{", page, StringComparison.Ordinal);
        Assert.Contains("ecv_test_frame_size_bytes_total", page, StringComparison.Ordinal);
        Assert.Contains("ecv_test_time_to_first_token_seconds_bucket{", page, StringComparison.Ordinal);
        Assert.Contains("ecv_test_queue_depth", page, StringComparison.Ordinal);
        Assert.Contains("ecv_test_cache_size_bytes", page, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds_bucket{", page, StringComparison.Ordinal);
        Assert.Contains("dotnet_gc_", page, StringComparison.Ordinal);
        var (exitCode, output) = await Promtool.CheckMetricsAsync(page);
        Assert.True(exitCode == 0, $"promtool check metrics exited {exitCode}:\n{output}\n--- page ---\n{page}");
    }
}
