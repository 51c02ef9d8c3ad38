using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.ServiceDefaults.Health;

/// <summary>Turns readiness off when the host starts stopping and holds the listeners open for the configured delay.
/// </summary>
/// <remarks>The host runs every <see cref="IHostedLifecycleService.StoppingAsync"/> before any hosted service's
/// <c>StopAsync</c>, so the delay happens while the web server still accepts requests.</remarks>
internal sealed partial class ShutdownReadinessService(
    ReadinessGate gate,
    IHostApplicationLifetime lifetime,
    IOptions<ShutdownOptions> options,
    TimeProvider time,
    ILogger<ShutdownReadinessService> logger) : IHostedLifecycleService
{
    private CancellationTokenRegistration _registration;
    private int _delayed;

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        _registration = lifetime.ApplicationStopping.Register(() =>
        {
            gate.MarkStopping();
            LogStopping(logger, options.Value.DrainSeconds);
        });
        return Task.CompletedTask;
    }

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        // A host stopped by StopAsync (rather than by a signal) runs this before it signals ApplicationStopping.
        gate.MarkStopping();
        var delay = options.Value.ReadinessDelaySeconds;
        if (delay > 0 && Interlocked.Exchange(ref _delayed, 1) == 0)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(delay), time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // The shutdown timeout ran out first; stop now.
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        _registration.Dispose();
        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 30, Level = LogLevel.Information,
        Message = "Shutting down: readiness is off; in-flight requests have up to {DrainSeconds} s to finish")]
    private static partial void LogStopping(ILogger logger, int drainSeconds);
}
