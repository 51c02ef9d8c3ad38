using System.ComponentModel.DataAnnotations;

namespace EdgeCloudVlm.ServiceDefaults.Health;

/// <summary>Graceful shutdown, section <c>Shutdown</c>.</summary>
/// <remarks>On SIGTERM the service turns not-ready at once, waits <see cref="ReadinessDelaySeconds"/> so that load
/// balancers notice, then stops accepting connections and lets in-flight requests finish; whatever is still running
/// when <see cref="DrainSeconds"/> (counted from SIGTERM) runs out is cancelled. Keep Kubernetes'
/// <c>terminationGracePeriodSeconds</c> above <see cref="DrainSeconds"/>.</remarks>
public sealed class ShutdownOptions
{
    /// <summary>Configuration section bound to this class.</summary>
    public const string SectionName = "Shutdown";

    /// <summary>The host's shutdown timeout (<c>HostOptions.ShutdownTimeout</c>), in seconds. Default 30.</summary>
    [Range(0, 3600)]
    public int DrainSeconds { get; set; } = 30;

    /// <summary>Seconds between readiness turning off and the server closing its listeners. Default 0.</summary>
    [Range(0, 600)]
    public int ReadinessDelaySeconds { get; set; }
}
