using System.Net;
using EdgeCloudVlm.ServiceDefaults.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.ServiceDefaults.Tests.Health;

public sealed class ShutdownTests
{
    [Fact]
    public async Task ShutdownTimeout_DrainSecondsConfigured_AppliedToHost()
    {
        await using var app = await TestApp.StartAsync(new Dictionary<string, string?> { ["Shutdown:DrainSeconds"] = "7" });

        Assert.Equal(TimeSpan.FromSeconds(7), app.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
    }

    [Fact]
    public async Task ShutdownTimeout_NotConfigured_30Seconds()
    {
        await using var app = await TestApp.StartAsync();

        Assert.Equal(TimeSpan.FromSeconds(30), app.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
    }

    [Fact]
    public async Task StopApplication_Signalled_ReadyTurns503AndLiveStays200()
    {
        await using var app = await TestApp.StartAsync();
        using var client = app.CreateClient();
        using var before = await client.GetAsync(ServiceDefaultsExtensions.ReadinessPath);

        app.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        using var ready = await client.GetAsync(ServiceDefaultsExtensions.ReadinessPath);
        using var live = await client.GetAsync(ServiceDefaultsExtensions.LivenessPath);

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("shutting down", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task StopAsync_ReadinessDelay_ServesRequestsUntilTheDelayPasses()
    {
        var time = new ManualTimeProvider();
        var app = await TestApp.StartAsync(
            new Dictionary<string, string?> { ["Shutdown:ReadinessDelaySeconds"] = "5", ["Shutdown:DrainSeconds"] = "60" },
            configureBuilder: builder => builder.Services.AddSingleton<TimeProvider>(time));
        using var client = app.CreateClient(TestKeys.EdgeKey);

        var stopping = app.App.StopAsync();
        // Guards against a hang only: the delay's timer must appear before the host finishes stopping.
        for (var i = 0; i < 3000 && time.PendingTimers == 0 && !stopping.IsCompleted; i++)
        {
            await Task.Delay(10);
        }

        Assert.Equal(1, time.PendingTimers);

        using var ready = await client.GetAsync(ServiceDefaultsExtensions.ReadinessPath);
        using var work = await client.GetAsync("/test/edge");
        var stoppedEarly = stopping.IsCompleted;
        time.Advance(TimeSpan.FromSeconds(5));
        await stopping;
        await app.DisposeAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, work.StatusCode);
        Assert.False(stoppedEarly);
    }

    [Theory]
    [InlineData("Shutdown:DrainSeconds", "-1", "DrainSeconds")]
    [InlineData("Shutdown:ReadinessDelaySeconds", "40", "ReadinessDelaySeconds must be shorter than DrainSeconds")]
    public async Task Start_BadShutdownOption_FailsNamingIt(string key, string value, string expected)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() =>
            TestApp.StartAsync(new Dictionary<string, string?> { [key] = value }));

        Assert.Contains(expected, ServiceExceptions.AllMessages(error), StringComparison.Ordinal);
    }
}
