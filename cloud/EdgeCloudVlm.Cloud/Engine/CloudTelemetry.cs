using System.Diagnostics;

namespace EdgeCloudVlm.Cloud.Engine;

/// <summary>
/// The names the cloud service publishes telemetry under: one <see cref="System.Diagnostics.Metrics.Meter"/> name and
/// one <see cref="System.Diagnostics.ActivitySource"/> name, so exporters subscribe with a single
/// <c>AddMeter</c>/<c>AddSource</c> each.
/// </summary>
public static class CloudTelemetry
{
    /// <summary>Meter name of every cloud instrument.</summary>
    public const string MeterName = "EdgeCloudVlm.Cloud";

    /// <summary>Activity source name of every cloud span.</summary>
    public const string ActivitySourceName = "EdgeCloudVlm.Cloud";

    /// <summary>Tag naming the model on engine measurements and spans.</summary>
    public const string ModelTag = "edgecloudvlm.model";

    /// <summary>The cloud's activity source; <see cref="ActivitySource.StartActivity(string, ActivityKind)"/> returns
    /// <see langword="null"/> (and costs nothing) while no listener samples it.</summary>
    public static ActivitySource ActivitySource { get; } = new(ActivitySourceName);
}
