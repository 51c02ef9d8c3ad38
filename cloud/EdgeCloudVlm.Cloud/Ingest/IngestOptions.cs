using System.ComponentModel.DataAnnotations;

namespace EdgeCloudVlm.Cloud.Ingest;

/// <summary>Edge ingest stream settings (section <c>Ingest</c>).</summary>
public sealed class IngestOptions
{
    public const string SectionName = "Ingest";

    /// <summary>Most frames one session may have awaiting a Final or Error; <c>HelloAck</c> lowers the edge's own
    /// figure to this. A frame beyond it gets a retryable LIMIT_EXCEEDED error.</summary>
    [Range(1, 4096)]
    public int MaxInFlight { get; set; } = 32;

    /// <summary>Accept a session only when <c>Hello.device_id</c> is the caller's identity (the API key's name or the
    /// client certificate's common name), so one device's credential cannot speak for another. Off by default, for
    /// fleets that share a key.</summary>
    public bool RequireDeviceIdAsCallerName { get; set; }
}
