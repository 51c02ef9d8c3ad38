namespace EdgeCloudVlm.ServiceDefaults;

/// <summary>What a service tells <see cref="ServiceDefaultsExtensions.AddServiceDefaults{TBuilder}"/> about itself, in
/// code; everything operators tune lives in configuration.</summary>
public sealed class ServiceDefaultsOptions
{
    internal ServiceDefaultsOptions(string serviceName) => ServiceName = serviceName;

    /// <summary>OpenTelemetry <c>service.name</c>.</summary>
    public string ServiceName { get; }

    /// <summary>OpenTelemetry <c>service.version</c>; the entry assembly's informational version when null.</summary>
    public string? ServiceVersion { get; set; }

    /// <summary>Names of the service's own <see cref="System.Diagnostics.ActivitySource"/>s to trace (e.g.
    /// <c>EdgeCloudVlm.Cloud</c>).</summary>
    public ICollection<string> ActivitySources { get; } = new List<string>();

    /// <summary>Names of the service's own <see cref="System.Diagnostics.Metrics.Meter"/>s to export.</summary>
    public ICollection<string> Meters { get; } = new List<string>();
}
