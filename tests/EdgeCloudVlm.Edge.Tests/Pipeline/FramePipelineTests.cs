using EdgeCloudVlm.Contracts.V1;
using EdgeCloudVlm.Edge.Pipeline;
using EdgeCloudVlm.Edge.Results;
using EdgeCloudVlm.Edge.Spool;
using EdgeCloudVlm.Edge.State;
using EdgeCloudVlm.Edge.Telemetry;
using EdgeCloudVlm.Edge.Tests.Support;
using EdgeCloudVlm.Edge.Uplink;
using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.Edge.Tests.Pipeline;

public sealed class FramePipelineTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task EnqueueAsync_EncoderStalled_ProducerWaitsAndThePipelineHoldsNoMoreThanItsBound()
    {
        using var encoder = new GatedEncoder();
        using var demo = new DemoEncoder(loadCodebook: false);
        using FrameSpool spool = FrameSpool.Open(TestFrames.Options(_temp.Path), NullLogger<FrameSpool>.Instance);
        var scheduler = new SendScheduler(TimeProvider.System);
        using FramePipeline pipeline = Create(encoder, spool, scheduler, demo.Telemetry, intake: 3, spoolQueue: 2);
        await pipeline.StartAsync(CancellationToken.None);

        const int total = 40;
        int enqueued = 0;
        var requests = new List<CaptureRequest>();
        Task producer = Task.Run(async () =>
        {
            for (int i = 0; i < total; i++)
            {
                var request = DemoEncoder.Request([1, 2, 3], id: $"f{i}");
                lock (requests)
                {
                    requests.Add(request);
                }

                await pipeline.EnqueueAsync(request, CancellationToken.None);
                Interlocked.Increment(ref enqueued);
            }
        });

        // One capture in the stalled encoder, three in the intake queue, the producer blocked on the fifth.
        // The producer counts a capture only after EnqueueAsync returns, so wait for the count too; then give a fifth
        // capture time to slip through if the bound were broken.
        await Eventually.TrueAsync(
            () => encoder.Waiting == 1 && pipeline.IntakeCount == 3 && Volatile.Read(ref enqueued) == 4 && pipeline.Held == 4,
            "the intake queue to fill");
        await Task.Delay(200);
        Assert.Equal(4, Volatile.Read(ref enqueued));
        Assert.False(producer.IsCompleted);
        Assert.Equal(4, pipeline.Held);

        encoder.Release();
        await producer.WaitAsync(TimeSpan.FromSeconds(60));
        IntakeResult[] results = await Task.WhenAll(requests.Select(r => r.Completion)).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.All(results, r => Assert.Equal(IntakeStatus.Spooled, r.Status));
        Assert.InRange(pipeline.PeakHeld, 1, pipeline.Capacity);
        Assert.Equal(total, spool.Depth);
        Assert.Equal(total, scheduler.Queued);
        await pipeline.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task SubmitAsync_UplinkNeverDrainsAndSpoolRefusesWhenFull_DiskStaysBoundedAndExcessIsRefused()
    {
        const long bound = 16 * 1024;
        using var demo = new DemoEncoder(loadCodebook: false);
        using FrameSpool spool = FrameSpool.Open(TestFrames.Options(_temp.Path, maxBytes: bound, segmentBytes: 2048), NullLogger<FrameSpool>.Instance);
        var scheduler = new SendScheduler(TimeProvider.System);
        using FramePipeline pipeline = Create(new PassThroughEncoder(), spool, scheduler, demo.Telemetry, intake: 4, spoolQueue: 4);
        await pipeline.StartAsync(CancellationToken.None);

        var statuses = new List<IntakeStatus>();
        for (int i = 0; i < 100; i++)
        {
            statuses.Add((await pipeline.SubmitAsync(DemoEncoder.Request([1, 2, 3], id: $"f{i}"), CancellationToken.None)).Status);
            Assert.True(spool.Bytes <= bound);
            Assert.True(pipeline.Held <= pipeline.Capacity);
        }

        int spooled = statuses.Count(s => s == IntakeStatus.Spooled);
        Assert.InRange(spooled, 10, 99);
        Assert.Equal(100 - spooled, statuses.Count(s => s == IntakeStatus.Refused));
        Assert.Equal(spooled, scheduler.Queued);
        await pipeline.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task SubmitAsync_DropOldestWhenFull_DroppedFramesGetADropNoticeAndLeaveTheQueue()
    {
        const long bound = 16 * 1024;
        using var demo = new DemoEncoder(loadCodebook: false);
        using FrameSpool spool = FrameSpool.Open(TestFrames.Options(_temp.Path, maxBytes: bound, segmentBytes: 2048, policy: SpoolFullPolicy.DropOldest), NullLogger<FrameSpool>.Instance);
        var scheduler = new SendScheduler(TimeProvider.System);
        var outcomes = new OutcomeQueue();
        using FramePipeline pipeline = Create(new PassThroughEncoder(), spool, scheduler, demo.Telemetry, intake: 4, spoolQueue: 4, outcomes);
        await pipeline.StartAsync(CancellationToken.None);

        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(IntakeStatus.Spooled, (await pipeline.SubmitAsync(DemoEncoder.Request([1, 2, 3], id: $"f{i}"), CancellationToken.None)).Status);
        }

        var drops = new List<FrameOutcome>();
        while (outcomes.Reader.TryRead(out FrameOutcome? outcome))
        {
            drops.Add(outcome);
        }

        Assert.NotEmpty(drops);
        Assert.All(drops, d => Assert.Equal(OutcomeStatus.Dropped, d.Status));
        Assert.Equal(Enumerable.Range(0, drops.Count).Select(i => $"f{i}"), drops.Select(d => d.FrameId));
        Assert.Equal(100 - drops.Count, spool.Depth);
        Assert.Equal(100 - drops.Count, scheduler.Count);
        Assert.True(spool.Bytes <= bound);
        await pipeline.StopAsync(CancellationToken.None);
    }

    private static FramePipeline Create(IFrameEncoder encoder, FrameSpool spool, SendScheduler scheduler, EdgeTelemetry telemetry, int intake, int spoolQueue, OutcomeQueue? outcomes = null) => new(
        encoder,
        spool,
        scheduler,
        outcomes ?? new OutcomeQueue(),
        Options.Create(new PipelineOptions { IntakeCapacity = intake, SpoolQueueCapacity = spoolQueue, EncoderWorkers = 1, MaxSpoolBatch = 4 }),
        telemetry,
        new AgentStatus(TimeProvider.System),
        TimeProvider.System,
        NullLogger<FramePipeline>.Instance);

    private static EncodeResult Encoded(CaptureRequest request) => new()
    {
        Frame = new Frame
        {
            FrameId = request.FrameId,
            DeviceId = "device-1",
            ModelId = "shapes-vqa",
            Question = request.Question,
            CodecFrame = ByteString.CopyFrom(TestFrames.Payload(request.FrameId, 300)),
        },
    };

    /// <summary>Blocks every encode until released, like a vision head that fell far behind.</summary>
    private sealed class GatedEncoder : IFrameEncoder, IDisposable
    {
        private readonly ManualResetEventSlim _gate = new(false);
        private int _waiting;

        public int Waiting => Volatile.Read(ref _waiting);

        public void Release() => _gate.Set();

        public void Dispose() => _gate.Dispose();

        public EncodeResult Encode(CaptureRequest request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _waiting);
            _gate.Wait(cancellationToken);
            Interlocked.Decrement(ref _waiting);
            return Encoded(request);
        }
    }

    private sealed class PassThroughEncoder : IFrameEncoder
    {
        public EncodeResult Encode(CaptureRequest request, CancellationToken cancellationToken) => Encoded(request);
    }
}
