namespace EdgeCloudVlm.Edge.Spool;

/// <summary>Where a spooled frame lives on disk; the payload stays there and is read back when the frame is sent, so
/// a long backlog costs memory per frame only for this entry.</summary>
public sealed class SpoolEntry
{
    internal SpoolEntry(long sequence, string frameId, int segment, long offset, int length)
    {
        Sequence = sequence;
        FrameId = frameId;
        Segment = segment;
        Offset = offset;
        Length = length;
    }

    public long Sequence { get; }

    public string FrameId { get; }

    public int Segment { get; }

    public long Offset { get; }

    /// <summary>Record length on disk (header included).</summary>
    public int Length { get; }

    /// <summary>The frame's outcome was committed; the bytes go when the whole segment is done.</summary>
    public bool Done { get; internal set; }
}

public enum SpoolAppendStatus
{
    /// <summary>Written and flushed to disk.</summary>
    Appended,

    /// <summary>The frame id is already spooled or was delivered recently; nothing was written.</summary>
    Duplicate,

    /// <summary>The disk bound does not allow it (RefuseNew, or a frame larger than the bound).</summary>
    Refused,
}

/// <summary>What became of one frame given to <see cref="FrameSpool.Append(IReadOnlyList{SpoolFrame})"/>.</summary>
public readonly record struct SpoolAppendResult(SpoolAppendStatus Status, SpoolEntry? Entry, string? Reason);

/// <summary>The results of one append batch, in input order, and the frames DropOldest removed to make room.</summary>
public sealed record SpoolAppendBatch(IReadOnlyList<SpoolAppendResult> Results, IReadOnlyList<SpoolFrame> Dropped);
