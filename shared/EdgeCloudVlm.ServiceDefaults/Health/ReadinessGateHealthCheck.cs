using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EdgeCloudVlm.ServiceDefaults.Health;

/// <summary>Reports the <see cref="ReadinessGate"/> as a health check tagged <see cref="HealthTags.Ready"/>.</summary>
internal sealed class ReadinessGateHealthCheck(ReadinessGate gate) : IHealthCheck
{
    internal const string Name = "readiness-gate";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var snapshot = gate.GetSnapshot();
        var data = snapshot.Components.ToDictionary(c => c.Name, c => (object)(c.Ready ? "ready" : c.Reason ?? "not ready"));
        if (snapshot.Stopping)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("shutting down", data: data));
        }

        var waiting = snapshot.Components.Where(c => !c.Ready).Select(c => c.Name).ToArray();
        return Task.FromResult(waiting.Length == 0
            ? HealthCheckResult.Healthy(snapshot.Components.Count == 0 ? "no components declared" : "all components ready", data)
            : HealthCheckResult.Unhealthy("waiting for: " + string.Join(", ", waiting), data: data));
    }
}
