using System.ComponentModel.DataAnnotations;

namespace EdgeCloudVlm.Edge.Spool;

/// <summary>What the spool does when a new frame would take it past <see cref="SpoolOptions.MaxBytes"/>.</summary>
public enum SpoolFullPolicy
{
    /// <summary>Refuse the new frame: the watched folder keeps the file for later, the HTTP endpoint answers 507.</summary>
    RefuseNew = 0,

    /// <summary>Delete the oldest segment (its unsent frames are reported as dropped) to make room.</summary>
    DropOldest = 1,
}

/// <summary>The durable spool (section <c>Edge:Spool</c>).</summary>
public sealed class SpoolOptions
{
    public const string SectionName = "Edge:Spool";

    /// <summary>Folder of the segments and the delivery ledger; default <c>{DataDirectory}/spool</c>.</summary>
    public string Directory { get; set; } = "";

    /// <summary>Disk bound for segments plus ledger, in bytes (default 1 GiB).</summary>
    [Range(4096, long.MaxValue)]
    public long MaxBytes { get; set; } = 1L << 30;

    /// <summary>A segment is closed and a new one started past this size (default 4 MiB); the effective size is at
    /// most an eighth of <see cref="MaxBytes"/>, so DropOldest never has to drop more than that share at once.</summary>
    [Range(1024, int.MaxValue)]
    public int SegmentBytes { get; set; } = 4 * 1024 * 1024;

    public SpoolFullPolicy FullPolicy { get; set; } = SpoolFullPolicy.RefuseNew;

    /// <summary>New frames are refused while the spool's file system would have less than this many bytes free
    /// (default 1 MiB). The reserve keeps room for what finishing frames needs to write - ledger records and result
    /// lines - so a disk filled by other programs, or by the spool itself, never blocks the deliveries that free it.</summary>
    [Range(0, long.MaxValue)]
    public long MinFreeDiskBytes { get; set; } = 1L << 20;

    /// <summary>How long delivered frame ids are remembered after their segment is gone, so the same input taken in
    /// again (a restart between spooling a watched file and moving it away) is not answered twice.</summary>
    public TimeSpan DeliveredRetention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Upper bound on remembered delivered ids beyond those the spool still holds.</summary>
    [Range(0, 10_000_000)]
    public int MaxDeliveredIds { get; set; } = 100_000;

    internal int EffectiveSegmentBytes => (int)Math.Max(1024, Math.Min(SegmentBytes, MaxBytes / 8));
}
