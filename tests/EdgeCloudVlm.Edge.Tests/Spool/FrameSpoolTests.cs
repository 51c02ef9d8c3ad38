using System.Diagnostics.Metrics;
using EdgeCloudVlm.Edge.Spool;
using EdgeCloudVlm.Edge.Telemetry;
using EdgeCloudVlm.Edge.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeCloudVlm.Edge.Tests.Spool;

public sealed class FrameSpoolTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly ListLogger<FrameSpool> _log = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Append_ThenReopen_ReplaysPendingInAppendOrder()
    {
        string[] ids = ["f1", "f2", "f3", "f4", "f5"];
        using (FrameSpool spool = Open())
        {
            spool.Append([TestFrames.Make("f1"), TestFrames.Make("f2")]);
            spool.Append(TestFrames.Make("f3"));
            spool.Append([TestFrames.Make("f4"), TestFrames.Make("f5")]);
        }

        using FrameSpool reopened = Open();
        IReadOnlyList<SpoolEntry> pending = reopened.PendingEntries();

        Assert.Equal(ids, pending.Select(e => e.FrameId));
        Assert.True(pending.Zip(pending.Skip(1)).All(p => p.First.Sequence < p.Second.Sequence));
        foreach (SpoolEntry entry in pending)
        {
            SpoolFrame frame = reopened.Read(entry);
            Assert.Equal(TestFrames.Payload(entry.FrameId, 200), frame.Frame.CodecFrame.ToByteArray());
            Assert.Equal(entry.Sequence, frame.Sequence);
            Assert.Equal(TestFrames.Created, frame.CreatedAt);
        }

        Assert.Equal(0, reopened.DamagedRecordsSkipped);
    }

    [Fact]
    public void Append_AfterReopen_ContinuesSequenceInANewSegment()
    {
        long first;
        using (FrameSpool spool = Open())
        {
            first = spool.Append(TestFrames.Make("a")).Results[0].Entry!.Sequence;
        }

        using FrameSpool reopened = Open();
        SpoolEntry second = reopened.Append(TestFrames.Make("b")).Results[0].Entry!;

        Assert.True(second.Sequence > first);
        Assert.Equal(2, reopened.SegmentCount);
        Assert.Equal(["a", "b"], reopened.PendingEntries().Select(e => e.FrameId));
    }

    [Fact]
    public void Open_TornTailRecord_SkippedWithOneLogLineAndEarlierFramesKept()
    {
        using (FrameSpool spool = Open())
        {
            spool.Append([TestFrames.Make("a"), TestFrames.Make("b"), TestFrames.Make("c")]);
        }

        // A crash in the middle of writing the last record: its tail never reached the disk.
        string segment = Segments().Single();
        long length = new FileInfo(segment).Length;
        using (var stream = new FileStream(segment, FileMode.Open))
        {
            stream.SetLength(length - 57);
        }

        using FrameSpool reopened = Open();

        Assert.Equal(["a", "b"], reopened.PendingEntries().Select(e => e.FrameId));
        Assert.Equal(1, reopened.DamagedRecordsSkipped);
        Assert.Single(_log.Messages(LogLevel.Warning));
        Assert.Contains("torn", _log.Messages(LogLevel.Warning)[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Open_CorruptMiddleRecord_SkippedAndLaterRecordsDelivered()
    {
        SpoolEntry middle;
        using (FrameSpool spool = Open())
        {
            middle = spool.Append([TestFrames.Make("a"), TestFrames.Make("b"), TestFrames.Make("c")]).Results[1].Entry!;
        }

        string segment = Segments().Single();
        byte[] bytes = File.ReadAllBytes(segment);
        bytes[middle.Offset + (middle.Length / 2)] ^= 0x5A;
        File.WriteAllBytes(segment, bytes);

        using FrameSpool reopened = Open();

        Assert.Equal(["a", "c"], reopened.PendingEntries().Select(e => e.FrameId));
        Assert.Equal(TestFrames.Payload("c", 200), reopened.Read(reopened.PendingEntries()[1]).Frame.CodecFrame.ToByteArray());
        Assert.Single(_log.Messages(LogLevel.Warning));
        Assert.Contains("checksum", _log.Messages(LogLevel.Warning)[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Open_CorruptLengthField_SkippedAndLaterRecordsDelivered()
    {
        SpoolEntry middle;
        using (FrameSpool spool = Open())
        {
            middle = spool.Append([TestFrames.Make("a"), TestFrames.Make("b"), TestFrames.Make("c")]).Results[1].Entry!;
        }

        string segment = Segments().Single();
        byte[] bytes = File.ReadAllBytes(segment);
        bytes[middle.Offset + 5] ^= 0x01;
        File.WriteAllBytes(segment, bytes);

        using FrameSpool reopened = Open();

        Assert.Equal(["a", "c"], reopened.PendingEntries().Select(e => e.FrameId));
    }

    [Fact]
    public void Open_ZeroFilledTailAfterPowerLoss_Skipped()
    {
        using (FrameSpool spool = Open())
        {
            spool.Append([TestFrames.Make("a"), TestFrames.Make("b")]);
        }

        using (var stream = new FileStream(Segments().Single(), FileMode.Append))
        {
            stream.Write(new byte[4096]);
        }

        using FrameSpool reopened = Open();

        Assert.Equal(["a", "b"], reopened.PendingEntries().Select(e => e.FrameId));
        Assert.Equal(1, reopened.DamagedRecordsSkipped);
    }

    [Fact]
    public void Commit_EveryFrameOfAClosedSegment_DeletesIt()
    {
        using FrameSpool spool = Open(TestFrames.Options(_temp.Path, segmentBytes: 1024));
        for (int i = 0; i < 12; i++)
        {
            spool.Append(TestFrames.Make($"f{i}"));
        }

        int segments = spool.SegmentCount;
        long bytes = spool.Bytes;
        string oldest = Segments().First();
        IReadOnlyList<SpoolEntry> inOldest = spool.PendingEntries().Where(e => e.Segment == spool.PendingEntries()[0].Segment).ToList();

        foreach (SpoolEntry entry in inOldest)
        {
            spool.Commit(entry.FrameId, OutcomeStatus.Answered, null);
        }

        Assert.True(segments > 2);
        Assert.False(File.Exists(oldest));
        Assert.Equal(segments - 1, spool.SegmentCount);
        Assert.True(spool.Bytes < bytes);
        Assert.Equal(12 - inOldest.Count, spool.Depth);
    }

    [Fact]
    public void Commit_ThenReopen_DeliveredFramesAreNotReplayed()
    {
        using (FrameSpool spool = Open())
        {
            spool.Append([TestFrames.Make("a"), TestFrames.Make("b"), TestFrames.Make("c")]);
            spool.Commit("b", OutcomeStatus.Answered, null);
        }

        using FrameSpool reopened = Open();

        Assert.Equal(["a", "c"], reopened.PendingEntries().Select(e => e.FrameId));
        Assert.True(reopened.IsDelivered("b"));
    }

    [Fact]
    public void Append_FrameIdPendingOrDelivered_IsADuplicateAndNotWritten()
    {
        using FrameSpool spool = Open();
        spool.Append([TestFrames.Make("a"), TestFrames.Make("b")]);
        spool.Commit("b", OutcomeStatus.Answered, null);
        long bytes = spool.Bytes;

        SpoolAppendBatch again = spool.Append([TestFrames.Make("a"), TestFrames.Make("b"), TestFrames.Make("c"), TestFrames.Make("c")]);

        Assert.Equal(
            [SpoolAppendStatus.Duplicate, SpoolAppendStatus.Duplicate, SpoolAppendStatus.Appended, SpoolAppendStatus.Duplicate],
            again.Results.Select(r => r.Status));
        Assert.Equal(["a", "c"], spool.PendingEntries().Select(e => e.FrameId));
        Assert.True(spool.Bytes > bytes);
    }

    [Fact]
    public void Append_RefuseNewWhenFull_RefusesAndStaysWithinBound()
    {
        const long bound = 8 * 1024;
        using FrameSpool spool = Open(TestFrames.Options(_temp.Path, maxBytes: bound, segmentBytes: 2048, policy: SpoolFullPolicy.RefuseNew));
        var statuses = new List<SpoolAppendStatus>();
        for (int i = 0; i < 60; i++)
        {
            statuses.Add(spool.Append(TestFrames.Make($"f{i}")).Results[0].Status);
            Assert.True(spool.Bytes <= bound, $"spool holds {spool.Bytes} bytes, bound {bound}");
        }

        int appended = statuses.TakeWhile(s => s == SpoolAppendStatus.Appended).Count();
        Assert.InRange(appended, 10, 59);
        Assert.All(statuses.Skip(appended), s => Assert.Equal(SpoolAppendStatus.Refused, s));
        Assert.Equal(Enumerable.Range(0, appended).Select(i => $"f{i}"), spool.PendingEntries().Select(e => e.FrameId));
    }

    [Fact]
    public void Append_DiskBelowReserve_RefusesNewFramesUntilSpaceReturns()
    {
        long free = 1L << 20;
        SpoolOptions options = TestFrames.Options(_temp.Path);
        options.MinFreeDiskBytes = 64 * 1024;
        using FrameSpool spool = FrameSpool.Open(options, _log, TimeProvider.System, _ => free);

        Assert.Equal(SpoolAppendStatus.Appended, spool.Append(TestFrames.Make("a")).Results[0].Status);
        free = options.MinFreeDiskBytes + 10;
        SpoolAppendResult refused = spool.Append(TestFrames.Make("b")).Results[0];
        free = 1L << 20;
        SpoolAppendResult later = spool.Append(TestFrames.Make("b")).Results[0];

        Assert.Equal(SpoolAppendStatus.Refused, refused.Status);
        Assert.Contains("reserve", refused.Reason, StringComparison.Ordinal);
        Assert.Equal(SpoolAppendStatus.Appended, later.Status);
        Assert.Equal(["a", "b"], spool.PendingEntries().Select(e => e.FrameId));
    }

    [Fact]
    public void Append_BatchCrossingTheReserve_KeepsTheFramesThatFit()
    {
        long free = 0;
        SpoolOptions options = TestFrames.Options(_temp.Path);
        options.MinFreeDiskBytes = 4096;
        using FrameSpool spool = FrameSpool.Open(options, _log, TimeProvider.System, _ => free);
        int record = RecordFormat.Encode(TestFrames.Make("x0").Serialize()).Length;
        free = options.MinFreeDiskBytes + (2 * record) + (record / 2);

        SpoolAppendBatch batch = spool.Append([TestFrames.Make("x0"), TestFrames.Make("x1"), TestFrames.Make("x2")]);

        Assert.Equal([SpoolAppendStatus.Appended, SpoolAppendStatus.Appended, SpoolAppendStatus.Refused], batch.Results.Select(r => r.Status));
    }

    [Fact]
    public void Append_DropOldestWhenFull_DropsOldestFramesKeepsNewestAndCountsThem()
    {
        const long bound = 8 * 1024;
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var telemetry = new EdgeTelemetry(services.GetRequiredService<IMeterFactory>());
        long droppedMetric = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == EdgeTelemetry.Name && instrument.Name == "ecv.edge.spool.dropped")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref droppedMetric, value));
        listener.Start();

        using FrameSpool spool = FrameSpool.Open(TestFrames.Options(_temp.Path, maxBytes: bound, segmentBytes: 2048, policy: SpoolFullPolicy.DropOldest), _log, TimeProvider.System, telemetry);
        var dropped = new List<string>();
        for (int i = 0; i < 60; i++)
        {
            SpoolAppendBatch batch = spool.Append(TestFrames.Make($"f{i}"));
            Assert.Equal(SpoolAppendStatus.Appended, batch.Results[0].Status);
            dropped.AddRange(batch.Dropped.Select(f => f.FrameId));
            Assert.True(spool.Bytes <= bound, $"spool holds {spool.Bytes} bytes, bound {bound}");
        }

        List<string> pending = spool.PendingEntries().Select(e => e.FrameId).ToList();
        Assert.NotEmpty(dropped);
        Assert.Equal(Enumerable.Range(0, dropped.Count).Select(i => $"f{i}"), dropped);
        Assert.Equal(Enumerable.Range(dropped.Count, 60 - dropped.Count).Select(i => $"f{i}"), pending);
        Assert.Equal(dropped.Count, droppedMetric);
    }

    [Fact]
    public void Open_SpoolAlreadyOpen_ThrowsNamingTheDirectory()
    {
        using FrameSpool first = Open();

        IOException ex = Assert.Throws<IOException>(() => Open());

        Assert.Contains(first.Directory, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_WhileNotRunning_CountsPendingWithoutChangingFiles()
    {
        using (FrameSpool spool = Open())
        {
            spool.Append([TestFrames.Make("a"), TestFrames.Make("b")]);
            spool.Commit("a", OutcomeStatus.Answered, null);
        }

        string[] before = Directory.GetFiles(_temp.Path).Select(f => $"{f}:{new FileInfo(f).Length}").Order().ToArray();

        using (FrameSpool inspected = FrameSpool.Inspect(TestFrames.Options(_temp.Path), _log))
        {
            Assert.Equal(1, inspected.Depth);
        }

        Assert.Equal(before, Directory.GetFiles(_temp.Path).Select(f => $"{f}:{new FileInfo(f).Length}").Order().ToArray());
    }

    private FrameSpool Open(SpoolOptions? options = null) => FrameSpool.Open(options ?? TestFrames.Options(_temp.Path), _log);

    private string[] Segments() => Directory.GetFiles(_temp.Path, "*.seg").Order(StringComparer.Ordinal).ToArray();
}
