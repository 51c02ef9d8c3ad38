using EdgeCloudVlm.Edge.Codebooks;
using EdgeCloudVlm.Edge.Hosting;
using EdgeCloudVlm.Edge.Pipeline;
using EdgeCloudVlm.Edge.Spool;
using EdgeCloudVlm.Edge.Uplink;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.Edge.State;

/// <summary>Assembles a <see cref="StatusSnapshot"/> from the live parts.</summary>
public sealed class StatusReporter(
    AgentStatus status,
    FrameSpool spool,
    SendScheduler scheduler,
    FramePipeline pipeline,
    CodebookStore codebooks,
    VisionHead head,
    IOptions<EdgeOptions> edge,
    IOptions<SpoolOptions> spoolOptions,
    IOptions<CodecOptions> codec,
    IOptions<UplinkOptions> uplink,
    TimeProvider time)
{
    /// <summary>Set once Kestrel listens.</summary>
    public string? LocalEndpoint { get; set; }

    public StatusSnapshot Snapshot() => new()
    {
        DeviceId = edge.Value.DeviceId,
        AgentVersion = EdgeOptions.AgentVersion,
        ProcessId = Environment.ProcessId,
        StartedAt = status.StartedAt,
        WrittenAt = time.GetUtcNow(),
        LocalEndpoint = LocalEndpoint,
        ModelId = string.IsNullOrWhiteSpace(edge.Value.ModelId) ? head.Manifest.Name : edge.Value.ModelId,
        VisionHead = head.Model is { } model ? model.ActiveProvider.ToString() : $"unavailable: {head.LoadError}",
        CodebookId = codebooks.ActiveId,
        FallbackAllowed = codec.Value.AllowJpegFallback,
        Link = status.LinkStatus(),
        CloudAddress = uplink.Value.Address?.ToString() ?? "",
        Spool = new SpoolStatus(spool.Directory, spool.Depth, spool.Bytes, spoolOptions.Value.MaxBytes, spool.SegmentCount, spoolOptions.Value.FullPolicy.ToString()),
        InFlight = scheduler.InFlight,
        Queued = scheduler.Queued,
        Window = scheduler.MaxInFlight,
        PipelineHeld = pipeline.Held,
        Counters = status.Counters(),
        LastErrors = status.LastErrors(),
    };
}
