using System.ComponentModel.DataAnnotations;

namespace EdgeCloudVlm.Cloud.Idempotency;

/// <summary>How long and how many frame outcomes are kept so edge retries are answered, not rerun (section
/// <c>Idempotency</c>).</summary>
public sealed class IdempotencyOptions
{
    public const string SectionName = "Idempotency";

    /// <summary>How long a finished frame's answer is replayed for a retry with the same frame id. An Ack from the edge
    /// drops it earlier.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Most finished answers kept; the oldest are dropped first when more arrive.</summary>
    [Range(1, 10_000_000)]
    public int MaxEntries { get; set; } = 100_000;
}
