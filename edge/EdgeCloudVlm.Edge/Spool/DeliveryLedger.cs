using System.Text;

namespace EdgeCloudVlm.Edge.Spool;

/// <summary>How a frame's life ended.</summary>
public enum OutcomeStatus : byte
{
    /// <summary>The cloud answered.</summary>
    Answered = 0,

    /// <summary>The cloud (or the agent) failed the frame for good.</summary>
    Failed = 1,

    /// <summary>The spool dropped it to stay within its disk bound.</summary>
    Dropped = 2,
}

/// <summary>
/// The durable record of frames whose outcome reached the sinks, and of how far the JSON Lines sink had been written
/// when it did. It is what makes delivery exactly-once: a frame id found here is never delivered again (even when the
/// spool still holds the frame because the process died before deleting it), and sink bytes beyond the last recorded
/// offset belong to a delivery that never committed, so they are cut on restart. Same framing as the segments.
/// </summary>
internal sealed class DeliveryLedger : IDisposable
{
    public const string FileName = "delivered.log";

    private const byte FormatVersion = 1;
    private const byte DeliveredType = 1;
    private const byte SinkBaselineType = 2;

    private readonly string _path;
    private readonly bool _readOnly;
    private readonly Dictionary<string, long> _delivered = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _sinkOffsets = new(StringComparer.Ordinal);
    private FileStream? _stream;
    private long _length;
    private long _compactedLength;

    private DeliveryLedger(string path, bool readOnly)
    {
        _path = path;
        _readOnly = readOnly;
    }

    public long Length => _length;

    public int Count => _delivered.Count;

    /// <summary>Reads the ledger; damaged records are reported and skipped (an id lost that way can at worst be
    /// delivered again, which is why damage is logged loudly).</summary>
    public static DeliveryLedger Open(string path, bool readOnly, Action<DamagedRegion> onDamaged)
    {
        var ledger = new DeliveryLedger(path, readOnly);
        if (File.Exists(path))
        {
            byte[] data = File.ReadAllBytes(path);
            var records = new List<RecordLocation>();
            ScanResult scan = RecordFormat.Scan(data, records);
            foreach (DamagedRegion region in scan.Damaged)
            {
                onDamaged(region);
            }

            foreach (RecordLocation record in records)
            {
                ledger.Apply(data.AsSpan(record.Offset + RecordFormat.HeaderLength, record.PayloadLength));
            }

            ledger._length = data.Length;
            ledger._compactedLength = data.Length;
            if (!readOnly && scan.Damaged.Count > 0)
            {
                // Appending after garbage would hide new records behind it from nothing, but rewriting keeps the file
                // clean and bounded.
                ledger.Rewrite(static _ => true, DateTimeOffset.MinValue, int.MaxValue);
            }
        }

        return ledger;
    }

    public bool Contains(string frameId) => _delivered.ContainsKey(frameId);

    public long? SinkOffset(string sinkPath) => _sinkOffsets.TryGetValue(sinkPath, out long offset) ? offset : null;

    /// <summary>Durably records a delivery (and the sink offset after it); returns when the bytes are on disk.</summary>
    public void Commit(string frameId, OutcomeStatus status, SinkPosition? sink, DateTimeOffset now)
    {
        Append(Encode(DeliveredType, frameId, status, now.ToUnixTimeMilliseconds(), sink));
        _delivered[frameId] = now.ToUnixTimeMilliseconds();
        if (sink is { } s)
        {
            _sinkOffsets[s.Path] = s.Offset;
        }
    }

    /// <summary>Records where a sink file starts being ours, so a first delivery cut short can be undone too.</summary>
    public void RecordSinkBaseline(SinkPosition sink, DateTimeOffset now)
    {
        Append(Encode(SinkBaselineType, "", OutcomeStatus.Answered, now.ToUnixTimeMilliseconds(), sink));
        _sinkOffsets[sink.Path] = sink.Offset;
    }

    /// <summary>Rewrites the ledger once it has grown well past its last compacted size.</summary>
    public bool CompactIfLarge(Func<string, bool> mustKeep, DateTimeOffset cutoff, int maxIds)
    {
        if (_readOnly || _length < Math.Max(64 * 1024, 2 * _compactedLength))
        {
            return false;
        }

        Rewrite(mustKeep, cutoff, maxIds);
        return true;
    }

    /// <summary>Keeps ids the spool still holds, plus the most recent ids delivered after <paramref name="cutoff"/>
    /// (at most <paramref name="maxIds"/>), so a late re-ingest of the same input is still recognised.</summary>
    public void Rewrite(Func<string, bool> mustKeep, DateTimeOffset cutoff, int maxIds)
    {
        long cutoffMs = cutoff == DateTimeOffset.MinValue ? long.MinValue : cutoff.ToUnixTimeMilliseconds();
        var kept = new List<KeyValuePair<string, long>>();
        var recent = new List<KeyValuePair<string, long>>();
        foreach (KeyValuePair<string, long> pair in _delivered)
        {
            if (mustKeep(pair.Key))
            {
                kept.Add(pair);
            }
            else if (pair.Value >= cutoffMs)
            {
                recent.Add(pair);
            }
        }

        recent.Sort(static (a, b) => b.Value.CompareTo(a.Value));
        kept.AddRange(recent.Take(Math.Max(0, maxIds - kept.Count)));

        string temp = _path + ".tmp";
        try
        {
            WriteCompacted(temp, kept);
        }
        catch (IOException)
        {
            // No room for the copy (a full disk): keep the ledger as it is and try again only once it has doubled.
            _compactedLength = _length;
            TryDelete(temp);
            throw;
        }

        _stream?.Dispose();
        _stream = null;
        File.Move(temp, _path, overwrite: true);
        DirectorySync.Flush(Path.GetDirectoryName(Path.GetFullPath(_path))!);
        _delivered.Clear();
        foreach (KeyValuePair<string, long> pair in kept)
        {
            _delivered[pair.Key] = pair.Value;
        }

        _length = new FileInfo(_path).Length;
        _compactedLength = _length;
    }

    public void Dispose() => _stream?.Dispose();

    private void WriteCompacted(string temp, List<KeyValuePair<string, long>> kept)
    {
        using var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None);
        foreach (KeyValuePair<string, long> sink in _sinkOffsets)
        {
            stream.Write(Encode(SinkBaselineType, "", OutcomeStatus.Answered, 0, new SinkPosition(sink.Key, sink.Value)));
        }

        foreach (KeyValuePair<string, long> pair in kept)
        {
            stream.Write(Encode(DeliveredType, pair.Key, OutcomeStatus.Answered, pair.Value, null));
        }

        stream.Flush(flushToDisk: true);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Overwritten by the next compaction.
        }
    }

    private void Append(byte[] record)
    {
        if (_readOnly)
        {
            throw new InvalidOperationException("the ledger was opened read-only");
        }

        // Unbuffered, so a failed write leaves nothing behind in memory to be flushed later after the next record.
        _stream ??= new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0, FileOptions.None);
        try
        {
            _stream.Write(record);
            _stream.Flush(flushToDisk: true);
        }
        catch (IOException)
        {
            // Part of the record may have reached the file (a full disk): cut it off, so the next record starts at a
            // record boundary instead of after a torn one that replay would have to skip.
            _stream.Dispose();
            _stream = null;
            try
            {
                using var cut = new FileStream(_path, FileMode.Open, FileAccess.Write, FileShare.Read, bufferSize: 0);
                cut.SetLength(_length);
            }
            catch (IOException)
            {
                // Replay skips a torn record by its checksum.
            }

            throw;
        }

        _length += record.Length;
    }

    private void Apply(ReadOnlySpan<byte> payload)
    {
        try
        {
            using var stream = new MemoryStream(payload.ToArray(), writable: false);
            using var reader = new BinaryReader(stream, Encoding.UTF8);
            if (reader.ReadByte() != FormatVersion)
            {
                return;
            }

            byte type = reader.ReadByte();
            string frameId = reader.ReadString();
            _ = reader.ReadByte();
            long at = reader.ReadInt64();
            string sinkPath = reader.ReadString();
            long sinkOffset = reader.ReadInt64();
            if (type == DeliveredType && frameId.Length > 0)
            {
                _delivered[frameId] = at;
            }

            if (sinkPath.Length > 0 && sinkOffset >= 0)
            {
                _sinkOffsets[sinkPath] = sinkOffset;
            }
        }
        catch (EndOfStreamException)
        {
            // A record that passed its checksum but is shorter than this version's layout: written by a newer agent.
        }
    }

    private static byte[] Encode(byte type, string frameId, OutcomeStatus status, long atMs, SinkPosition? sink)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(FormatVersion);
            writer.Write(type);
            writer.Write(frameId);
            writer.Write((byte)status);
            writer.Write(atMs);
            writer.Write(sink?.Path ?? "");
            writer.Write(sink?.Offset ?? -1L);
        }

        return RecordFormat.Encode(stream.ToArray());
    }
}

/// <summary>A sink file and a byte offset in it.</summary>
public readonly record struct SinkPosition(string Path, long Offset);
