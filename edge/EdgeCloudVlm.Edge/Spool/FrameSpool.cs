using EdgeCloudVlm.Edge.Telemetry;
using Microsoft.Extensions.Logging;

namespace EdgeCloudVlm.Edge.Spool;

/// <summary>
/// The durable spool: every frame is written and flushed to disk before it may be sent, and its bytes are deleted
/// only after its final outcome is committed to the <see cref="DeliveryLedger"/>.
/// </summary>
/// <remarks>
/// Layout: append-only segment files (<c>{number:D12}.seg</c>) of CRC-framed records, one record per frame, and the
/// ledger beside them. Segments rather than one file per frame because an append then costs one write and one
/// fdatasync of an already existing file (a new file also needs its directory entry synced, once per segment here
/// instead of per frame), a batch of frames shares one flush (group commit), replay reads a few large files instead
/// of thousands of small ones, and DropOldest frees space in segment-sized steps (bounded to an eighth of the disk
/// bound). Completion is not written into the segments: the ledger says which frames are done, a segment whose
/// frames are all done is deleted whole, and so nothing is ever rewritten in place (no compaction of segments).
/// A crash can leave a torn record at the end of the segment being written, or power loss a zero-filled tail; replay
/// finds damage by checksum, skips it with one log line, and a restarted agent always begins a fresh segment.
/// </remarks>
public sealed class FrameSpool : IDisposable
{
    public const string LockFileName = "spool.lock";
    private const string SegmentExtension = ".seg";

    private readonly Lock _gate = new();
    private readonly SpoolOptions _options;
    private readonly string _directory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly EdgeTelemetry? _telemetry;
    private readonly bool _readOnly;
    private readonly FileStream? _lockFile;
    private readonly DeliveryLedger _ledger;
    private readonly SortedDictionary<int, Segment> _segments = [];
    private readonly Dictionary<string, SpoolEntry> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SpoolEntry> _held = new(StringComparer.Ordinal);
    private readonly Func<string, long> _freeDiskBytes;
    private Segment? _active;
    private FileStream? _activeStream;
    private long _nextSequence = 1;
    private int _nextSegment = 1;
    private long _segmentBytes;

    private FrameSpool(SpoolOptions options, string directory, ILogger logger, TimeProvider time, EdgeTelemetry? telemetry, bool readOnly, FileStream? lockFile, DeliveryLedger ledger, Func<string, long> freeDiskBytes)
    {
        _freeDiskBytes = freeDiskBytes;
        _options = options;
        _directory = directory;
        _logger = logger;
        _time = time;
        _telemetry = telemetry;
        _readOnly = readOnly;
        _lockFile = lockFile;
        _ledger = ledger;
    }

    public string Directory => _directory;

    /// <summary>Frames awaiting their final outcome.</summary>
    public int Depth
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Bytes on disk: segments plus ledger (what <see cref="SpoolOptions.MaxBytes"/> bounds).</summary>
    public long Bytes
    {
        get
        {
            lock (_gate)
            {
                return _segmentBytes + _ledger.Length;
            }
        }
    }

    /// <summary>Number of segment files on disk.</summary>
    public int SegmentCount
    {
        get
        {
            lock (_gate)
            {
                return _segments.Count;
            }
        }
    }

    /// <summary>Damaged regions skipped while opening.</summary>
    public int DamagedRecordsSkipped { get; private set; }

    /// <summary>
    /// Opens (creating it if needed) and replays the spool: pending frames in append order, frames the ledger knows as
    /// delivered left out, fully delivered segments deleted. Takes an exclusive lock so two agents never share it.
    /// </summary>
    /// <exception cref="IOException">Another process holds the spool.</exception>
    public static FrameSpool Open(SpoolOptions options, ILogger logger, TimeProvider? time = null, EdgeTelemetry? telemetry = null) =>
        OpenCore(options, logger, time ?? TimeProvider.System, telemetry, readOnly: false, AvailableDiskBytes);

    /// <summary>As <see cref="Open(SpoolOptions, ILogger, TimeProvider?, EdgeTelemetry?)"/>, measuring free disk space
    /// with <paramref name="freeDiskBytes"/> (given the spool folder) instead of asking the file system.</summary>
    internal static FrameSpool Open(SpoolOptions options, ILogger logger, TimeProvider time, Func<string, long> freeDiskBytes) =>
        OpenCore(options, logger, time, null, readOnly: false, freeDiskBytes);

    /// <summary>Reads a spool without changing or locking it (for <c>status</c> while no agent runs).</summary>
    public static FrameSpool Inspect(SpoolOptions options, ILogger logger) =>
        OpenCore(options, logger, TimeProvider.System, null, readOnly: true, AvailableDiskBytes);

    /// <summary>Bytes an unprivileged writer can still use on the file system holding <paramref name="directory"/>.</summary>
    private static long AvailableDiskBytes(string directory) => new DriveInfo(directory).AvailableFreeSpace;

    /// <summary>Pending entries in append order.</summary>
    public IReadOnlyList<SpoolEntry> PendingEntries()
    {
        lock (_gate)
        {
            var list = new List<SpoolEntry>(_pending.Values);
            list.Sort(static (a, b) => a.Sequence.CompareTo(b.Sequence));
            return list;
        }
    }

    public bool IsPending(string frameId)
    {
        lock (_gate)
        {
            return _pending.ContainsKey(frameId);
        }
    }

    public bool IsDelivered(string frameId)
    {
        lock (_gate)
        {
            return _ledger.Contains(frameId);
        }
    }

    public bool TryGetPending(string frameId, out SpoolEntry? entry)
    {
        lock (_gate)
        {
            return _pending.TryGetValue(frameId, out entry);
        }
    }

    /// <summary>Appends one frame durably.</summary>
    public SpoolAppendBatch Append(SpoolFrame frame) => Append([frame]);

    /// <summary>
    /// Appends frames and flushes them to disk with one fdatasync before returning (group commit). Each frame gets the
    /// next sequence number. Under DropOldest, room is made by deleting the oldest segments; their unfinished frames
    /// come back in <see cref="SpoolAppendBatch.Dropped"/> so their owners can be told.
    /// </summary>
    /// <exception cref="IOException">The disk write failed; none of the batch's frames is spooled.</exception>
    public SpoolAppendBatch Append(IReadOnlyList<SpoolFrame> frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        ThrowIfReadOnly();
        var results = new SpoolAppendResult[frames.Count];
        var dropped = new List<SpoolFrame>();
        var written = new List<SpoolEntry>();
        lock (_gate)
        {
            var batchIds = new HashSet<string>(StringComparer.Ordinal);
            var batchSegments = new HashSet<int>();
            long freeDisk = _freeDiskBytes(_directory);
            try
            {
                for (int i = 0; i < frames.Count; i++)
                {
                    SpoolFrame frame = frames[i];
                    string id = frame.FrameId;
                    if (string.IsNullOrEmpty(id))
                    {
                        throw new ArgumentException("a spooled frame needs a frame id", nameof(frames));
                    }

                    if (_pending.ContainsKey(id) || _ledger.Contains(id) || !batchIds.Add(id))
                    {
                        results[i] = new SpoolAppendResult(SpoolAppendStatus.Duplicate, null, "frame id already spooled or delivered");
                        continue;
                    }

                    SpoolFrame stamped = frame with { Sequence = _nextSequence };
                    byte[] record = RecordFormat.Encode(stamped.Serialize());
                    string? refusal = freeDisk - record.Length < _options.MinFreeDiskBytes
                        ? $"the spool's disk has {Math.Max(0, freeDisk)} bytes free; {_options.MinFreeDiskBytes} are kept in reserve for finishing the frames already taken"
                        : MakeRoom(record.Length, dropped, batchSegments);
                    if (refusal is not null)
                    {
                        results[i] = new SpoolAppendResult(SpoolAppendStatus.Refused, null, refusal);
                        batchIds.Remove(id);
                        _telemetry?.SpoolRefused();
                        continue;
                    }

                    Segment segment = EnsureActive(record.Length);
                    freeDisk -= record.Length;
                    long offset = segment.Length;
                    _activeStream!.Write(record);
                    segment.Length += record.Length;
                    _segmentBytes += record.Length;
                    var entry = new SpoolEntry(_nextSequence++, id, segment.Number, offset, record.Length);
                    batchSegments.Add(segment.Number);
                    segment.Entries.Add(entry);
                    segment.Live++;
                    _pending[id] = entry;
                    _held[id] = entry;
                    written.Add(entry);
                    results[i] = new SpoolAppendResult(SpoolAppendStatus.Appended, entry, null);
                }

                _activeStream?.Flush(flushToDisk: true);
            }
            catch (IOException)
            {
                // The bytes may be half on disk; replay will skip them by checksum. Nothing of this batch counts as
                // spooled, and the next append starts clean in a new segment.
                foreach (SpoolEntry entry in written)
                {
                    _pending.Remove(entry.FrameId);
                    _held.Remove(entry.FrameId);
                    if (_segments.TryGetValue(entry.Segment, out Segment? segment))
                    {
                        segment.Entries.Remove(entry);
                        segment.Live--;
                    }
                }

                CloseActive();
                throw;
            }
        }

        return new SpoolAppendBatch(results, dropped);
    }

    /// <summary>Reads a spooled frame back from disk.</summary>
    /// <exception cref="IOException">The segment is gone (dropped) or the record no longer validates.</exception>
    public SpoolFrame Read(SpoolEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        string path = SegmentPath(entry.Segment);
        var buffer = new byte[entry.Length];
        using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            int read = 0;
            while (read < buffer.Length)
            {
                int n = RandomAccess.Read(handle, buffer.AsSpan(read), entry.Offset + read);
                if (n == 0)
                {
                    throw new IOException($"spool segment {path} ends before frame {entry.FrameId}");
                }

                read += n;
            }
        }

        if (!RecordFormat.TryReadPayload(buffer, out ReadOnlySpan<byte> payload))
        {
            throw new IOException($"spool record of frame {entry.FrameId} in {path} no longer matches its checksum");
        }

        try
        {
            return SpoolFrame.Deserialize(payload);
        }
        catch (InvalidDataException ex)
        {
            throw new IOException(ex.Message, ex);
        }
    }

    /// <summary>
    /// Durably records the frame's outcome in the ledger (with the sink offset after its delivery), then lets its
    /// bytes go: a segment whose frames are all done is deleted. Safe to call for a frame no longer spooled (a drop
    /// notice), which only records the id.
    /// </summary>
    public void Commit(string frameId, OutcomeStatus status, SinkPosition? sink)
    {
        ThrowIfReadOnly();
        lock (_gate)
        {
            DateTimeOffset now = _time.GetUtcNow();
            _ledger.Commit(frameId, status, sink, now);

            // From here on the outcome is on disk: housekeeping that fails (a full disk refusing the compacted ledger,
            // a segment that cannot be deleted yet) is retried on a later commit and never reported as a failed commit.
            bool deleted = false;
            try
            {
                if (_pending.Remove(frameId, out SpoolEntry? entry))
                {
                    entry.Done = true;
                    Segment segment = _segments[entry.Segment];
                    segment.Live--;
                    if (segment.Live == 0 && segment != _active)
                    {
                        DeleteSegment(segment);
                        deleted = true;
                    }
                }

                if (deleted || _ledger.Length > 1024 * 1024)
                {
                    _ledger.CompactIfLarge(_held.ContainsKey, now - _options.DeliveredRetention, _options.MaxDeliveredIds);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                EdgeLog.SpoolHousekeepingFailed(_logger, frameId, ex.Message);
            }
        }
    }

    /// <summary>The offset up to which a sink file holds committed deliveries, if the ledger knows the file.</summary>
    public long? SinkOffset(string sinkPath)
    {
        lock (_gate)
        {
            return _ledger.SinkOffset(sinkPath);
        }
    }

    /// <summary>Records a sink file's length before the agent first writes to it.</summary>
    public void RecordSinkBaseline(string sinkPath, long offset)
    {
        ThrowIfReadOnly();
        lock (_gate)
        {
            _ledger.RecordSinkBaseline(new SinkPosition(sinkPath, offset), _time.GetUtcNow());
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            CloseActive();
            _ledger.Dispose();
            _lockFile?.Dispose();
        }
    }

    private static FrameSpool OpenCore(SpoolOptions options, ILogger logger, TimeProvider time, EdgeTelemetry? telemetry, bool readOnly, Func<string, long> freeDiskBytes)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        if (string.IsNullOrWhiteSpace(options.Directory))
        {
            throw new ArgumentException("the spool directory is not set", nameof(options));
        }

        string directory = Path.GetFullPath(options.Directory);
        FileStream? lockFile = null;
        if (!readOnly)
        {
            System.IO.Directory.CreateDirectory(directory);
            try
            {
                // .NET takes an advisory flock for FileShare.None on Unix; the kernel drops it when the process dies,
                // so a crashed agent never leaves a stale lock behind.
                lockFile = new FileStream(Path.Combine(directory, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException ex)
            {
                throw new IOException($"the spool {directory} is in use by another process (is another agent running?)", ex);
            }
        }

        var spool = (FrameSpool?)null;
        try
        {
            int ledgerDamage = 0;
            DeliveryLedger ledger = DeliveryLedger.Open(Path.Combine(directory, DeliveryLedger.FileName), readOnly, region =>
            {
                ledgerDamage++;
                EdgeLog.LedgerDamaged(logger, region.Length, region.Offset, region.IsTail ? "torn tail" : "corrupt record");
            });
            spool = new FrameSpool(options, directory, logger, time, telemetry, readOnly, lockFile, ledger, freeDiskBytes);
            spool.Replay();
            spool.DamagedRecordsSkipped += ledgerDamage;
            return spool;
        }
        catch
        {
            if (spool is not null)
            {
                spool.Dispose();
            }
            else
            {
                lockFile?.Dispose();
            }

            throw;
        }
    }

    private void Replay()
    {
        if (!System.IO.Directory.Exists(_directory))
        {
            return;
        }

        var files = new List<(int Number, string Path)>();
        foreach (string path in System.IO.Directory.EnumerateFiles(_directory, "*" + SegmentExtension))
        {
            if (int.TryParse(Path.GetFileNameWithoutExtension(path), out int number) && number > 0)
            {
                files.Add((number, path));
            }
        }

        files.Sort(static (a, b) => a.Number.CompareTo(b.Number));
        foreach ((int number, string path) in files)
        {
            ReplaySegment(number, path);
            _nextSegment = Math.Max(_nextSegment, number + 1);
        }

        foreach (Segment segment in _segments.Values.ToList())
        {
            if (segment.Live == 0 && !_readOnly)
            {
                DeleteSegment(segment);
            }
        }

        if (_pending.Count > 0 || DamagedRecordsSkipped > 0)
        {
            EdgeLog.SpoolReplay(_logger, _directory, _pending.Count, _segments.Count, DamagedRecordsSkipped);
        }
    }

    private void ReplaySegment(int number, string path)
    {
        byte[] data = File.ReadAllBytes(path);
        var segment = new Segment(number, path) { Length = data.Length };
        _segments[number] = segment;
        _segmentBytes += data.Length;
        var records = new List<RecordLocation>();
        ScanResult scan = RecordFormat.Scan(data, records);
        foreach (DamagedRegion region in scan.Damaged)
        {
            Damaged(path, region.Offset, region.Length, region.IsTail ? "torn record at the end (write cut short)" : "checksum mismatch");
        }

        foreach (RecordLocation record in records)
        {
            SpoolFrame frame;
            try
            {
                frame = SpoolFrame.Deserialize(data.AsSpan(record.Offset + RecordFormat.HeaderLength, record.PayloadLength));
            }
            catch (InvalidDataException ex)
            {
                Damaged(path, record.Offset, record.EncodedLength, ex.Message);
                continue;
            }

            _nextSequence = Math.Max(_nextSequence, frame.Sequence + 1);
            if (_held.ContainsKey(frame.FrameId))
            {
                continue;
            }

            var entry = new SpoolEntry(frame.Sequence, frame.FrameId, number, record.Offset, record.EncodedLength);
            segment.Entries.Add(entry);
            _held[entry.FrameId] = entry;
            if (_ledger.Contains(entry.FrameId))
            {
                entry.Done = true;
            }
            else
            {
                segment.Live++;
                _pending[entry.FrameId] = entry;
            }
        }
    }

    private void Damaged(string path, long offset, long length, string why)
    {
        DamagedRecordsSkipped++;
        _telemetry?.SpoolCorrupt();
        EdgeLog.SpoolDamaged(_logger, path, length, offset, why);
    }

    /// <summary>Applies the full policy until <paramref name="recordLength"/> more bytes fit; null when they do.</summary>
    private string? MakeRoom(int recordLength, List<SpoolFrame> dropped, HashSet<int> batchSegments)
    {
        if (recordLength > _options.MaxBytes / 2)
        {
            return $"the frame's {recordLength} bytes exceed half the spool's bound of {_options.MaxBytes} bytes";
        }

        while (_segmentBytes + _ledger.Length + recordLength > _options.MaxBytes)
        {
            // Frames of the batch being written are never dropped to make room for later frames of the same batch.
            if (_options.FullPolicy == SpoolFullPolicy.RefuseNew || _segments.Count == 0 || batchSegments.Contains(_segments.First().Key))
            {
                return $"the spool is full ({_segmentBytes + _ledger.Length} of {_options.MaxBytes} bytes)";
            }

            DropOldestSegment(dropped);
        }

        return null;
    }

    private void DropOldestSegment(List<SpoolFrame> dropped)
    {
        Segment oldest = _segments.First().Value;
        if (oldest == _active)
        {
            CloseActive();
        }

        int count = 0;
        foreach (SpoolEntry entry in oldest.Entries)
        {
            if (entry.Done || !_pending.Remove(entry.FrameId))
            {
                continue;
            }

            count++;
            try
            {
                dropped.Add(Read(entry));
            }
            catch (IOException)
            {
                // Its record is damaged; the drop is still counted and logged.
            }
        }

        DeleteSegment(oldest);
        _telemetry?.SpoolDropped(count);
        EdgeLog.SpoolDropped(_logger, _segmentBytes + _ledger.Length, _options.MaxBytes, oldest.Number, count);
    }

    private Segment EnsureActive(int recordLength)
    {
        if (_active is not null && _active.Length > 0 && _active.Length + recordLength > _options.EffectiveSegmentBytes)
        {
            _activeStream!.Flush(flushToDisk: true);
            Segment closed = _active;
            CloseActive();
            if (closed.Live == 0)
            {
                DeleteSegment(closed);
            }
        }

        if (_active is null)
        {
            int number = _nextSegment++;
            var segment = new Segment(number, SegmentPath(number));
            _activeStream = new FileStream(segment.Path, FileMode.CreateNew, FileAccess.Write, FileShare.Read | FileShare.Delete, 64 * 1024);
            DirectorySync.Flush(_directory);
            _segments[number] = segment;
            _active = segment;
        }

        return _active;
    }

    private void CloseActive()
    {
        // Forget the stream before disposing it: on a full disk Dispose's final flush throws, and a later Append must
        // open a fresh segment rather than write to the disposed stream. A record counts as stored only once its batch
        // was flushed to disk, so bytes a failed final flush drops were never reported as stored.
        FileStream? stream = _activeStream;
        _activeStream = null;
        _active = null;
        try
        {
            stream?.Dispose();
        }
        catch (IOException)
        {
        }
    }

    private void DeleteSegment(Segment segment)
    {
        if (_readOnly)
        {
            return;
        }

        File.Delete(segment.Path);
        _segments.Remove(segment.Number);
        _segmentBytes -= segment.Length;
        foreach (SpoolEntry entry in segment.Entries)
        {
            _held.Remove(entry.FrameId);
        }
    }

    private string SegmentPath(int number) => Path.Combine(_directory, number.ToString("D12", System.Globalization.CultureInfo.InvariantCulture) + SegmentExtension);

    private void ThrowIfReadOnly()
    {
        if (_readOnly)
        {
            throw new InvalidOperationException("the spool was opened for inspection only");
        }
    }

    private sealed class Segment(int number, string path)
    {
        public int Number { get; } = number;

        public string Path { get; } = path;

        public long Length { get; set; }

        public int Live { get; set; }

        public List<SpoolEntry> Entries { get; } = [];
    }
}
