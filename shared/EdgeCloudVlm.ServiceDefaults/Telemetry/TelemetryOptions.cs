using System.ComponentModel.DataAnnotations;

namespace EdgeCloudVlm.ServiceDefaults.Telemetry;

/// <summary>Telemetry export, section <c>Telemetry</c>.</summary>
public sealed class TelemetryOptions
{
    /// <summary>Configuration section bound to this class.</summary>
    public const string SectionName = "Telemetry";

    /// <summary>OTLP collector address (e.g. <c>http://otel-collector:4317</c>). When empty, the standard
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is used if set; with neither, nothing is exported over OTLP.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary><c>grpc</c> (default) or <c>http/protobuf</c>; applies to <see cref="OtlpEndpoint"/>.</summary>
    public string OtlpProtocol { get; set; } = "grpc";

    /// <summary>Fraction of new traces sampled (0..1); a caller's sampling decision is honoured. Default 1.</summary>
    [Range(0.0, 1.0)]
    public double TraceSampleRatio { get; set; } = 1.0;

    /// <summary>The Prometheus scraping page.</summary>
    public MetricsPageOptions Metrics { get; set; } = new();
}

/// <summary>The Prometheus scraping page, section <c>Telemetry:Metrics</c>.</summary>
public sealed class MetricsPageOptions
{
    /// <summary>Path of the page. Default <c>/metrics</c>.</summary>
    public string Path { get; set; } = "/metrics";

    /// <summary>When true the page needs no API key (for a scraper inside a trusted network). Default false: any
    /// authenticated caller may read it.</summary>
    public bool AllowAnonymous { get; set; }
}
