using EdgeCloudVlm.Contracts.V1;
using EdgeCloudVlm.Edge.Results;
using EdgeCloudVlm.Edge.Spool;
using EdgeCloudVlm.Edge.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeCloudVlm.Edge.Tests.Results;

/// <summary>Exactly-once bookkeeping: "crashes" are simulated by abandoning the spool, sink and dispatcher at the
/// points a killed process would stop, then opening everything again from disk.</summary>
public sealed class ResultDispatcherTests : IDisposable
{
    private readonly TempFolder _temp = new();

    private string SpoolDirectory => Path.Combine(_temp.Path, "spool");

    private string ResultsPath => Path.Combine(_temp.Path, "results.jsonl");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task DeliverAsync_CrashAfterSinkWriteBeforeCommit_DeliveredExactlyOnceAfterRestart()
    {
        using (var agent = Agent.Open(SpoolDirectory, ResultsPath))
        {
            agent.Spool.Append([TestFrames.Make("a"), TestFrames.Make("b")]);
            Assert.True(await agent.DeliverAsync("a", "red"));

            // The process dies after b's line reached the file but before the ledger commit.
            agent.Sink.Append(new ResultRecord
            {
                FrameId = "b", DeviceId = "device-1", ModelId = "shapes-vqa", Source = "b.png", Question = "q", Status = "answered",
                Answer = "blue", CreatedAt = TestFrames.Created, CompletedAt = TestFrames.Created, Payload = "codec",
            }.ToJson());
        }

        using (var restarted = Agent.Open(SpoolDirectory, ResultsPath))
        {
            Assert.Equal(["b"], restarted.Spool.PendingEntries().Select(e => e.FrameId));
            Assert.True(await restarted.DeliverAsync("b", "blue"));
        }

        Assert.Equal(["a:red", "b:blue"], ReadResults());
    }

    [Fact]
    public async Task DeliverAsync_CrashAfterCommitBeforeSpoolDelete_NotDeliveredAgain()
    {
        using (var agent = Agent.Open(SpoolDirectory, ResultsPath))
        {
            agent.Spool.Append([TestFrames.Make("a"), TestFrames.Make("b")]);
            Assert.True(await agent.DeliverAsync("a", "red"));
        }

        // The segment holding a is still on disk (it was the active one); the ledger knows a is done.
        Assert.Single(Directory.GetFiles(SpoolDirectory, "*.seg"));
        using (var restarted = Agent.Open(SpoolDirectory, ResultsPath))
        {
            Assert.Equal(["b"], restarted.Spool.PendingEntries().Select(e => e.FrameId));
            Assert.False(await restarted.Dispatcher.DeliverAsync(TestFrames.Make("a"), OutcomeStatus.Answered, new Final { Text = "red" }, null, CancellationToken.None));
            Assert.True(await restarted.DeliverAsync("b", "blue"));
        }

        Assert.Equal(["a:red", "b:blue"], ReadResults());
    }

    [Fact]
    public async Task DeliverAsync_SameOutcomeTwice_WrittenOnce()
    {
        using var agent = Agent.Open(SpoolDirectory, ResultsPath);
        agent.Spool.Append(TestFrames.Make("a"));

        Assert.True(await agent.DeliverAsync("a", "red"));
        Assert.False(await agent.DeliverAsync("a", "red"));

        Assert.Equal(["a:red"], ReadResults());
        Assert.Equal(0, agent.Spool.Depth);
    }

    [Fact]
    public async Task DeliverAsync_TornLineFromACrashMidWrite_RemovedOnRestart()
    {
        using (var agent = Agent.Open(SpoolDirectory, ResultsPath))
        {
            agent.Spool.Append([TestFrames.Make("a"), TestFrames.Make("b")]);
            Assert.True(await agent.DeliverAsync("a", "red"));
        }

        await File.AppendAllTextAsync(ResultsPath, "{\"frame_id\":\"b\",\"ans");

        using (var restarted = Agent.Open(SpoolDirectory, ResultsPath))
        {
            Assert.True(await restarted.DeliverAsync("b", "blue"));
        }

        Assert.Equal(["a:red", "b:blue"], ReadResults());
    }

    [Fact]
    public async Task DeliverAsync_Failure_RecordsTheCloudErrorAndFreesTheFrame()
    {
        using var agent = Agent.Open(SpoolDirectory, ResultsPath);
        agent.Spool.Append(TestFrames.Make("a"));

        bool delivered = await agent.Dispatcher.DeliverAsync(TestFrames.Make("a"), OutcomeStatus.Failed, null,
            new ErrorDetail { Code = ErrorCode.UnknownCodebook, Message = "codebook aaaa is not held" }, CancellationToken.None);

        Assert.True(delivered);
        ResultRecord record = ResultRecord.FromJson(File.ReadAllLines(ResultsPath).Single())!;
        Assert.Equal("failed", record.Status);
        Assert.Equal("unknown_codebook", record.Error!.Code);
        Assert.Equal(0, agent.Spool.Depth);
    }

    [Fact]
    public async Task DeliverAsync_LedgerDiskFull_LineTakenBackAndWrittenOnceOnRetry()
    {
        using (var first = Agent.Open(SpoolDirectory, ResultsPath))
        {
            first.Spool.Append([TestFrames.Make("a"), TestFrames.Make("b")]);
            Assert.True(await first.DeliverAsync("a", "red"));
        }

        long afterA = new FileInfo(ResultsPath).Length;
        using var agent = Agent.Open(SpoolDirectory, ResultsPath);

        // Every write to the ledger now fails the way a full disk fails (ENOSPC).
        string ledger = Path.Combine(SpoolDirectory, DeliveryLedger.FileName);
        string kept = ledger + ".kept";
        File.Move(ledger, kept);
        File.CreateSymbolicLink(ledger, "/dev/full");
        await Assert.ThrowsAsync<IOException>(() => agent.DeliverAsync("b", "blue"));

        Assert.Equal(afterA, new FileInfo(ResultsPath).Length);
        Assert.True(agent.Spool.IsPending("b"));
        Assert.False(agent.Spool.IsDelivered("b"));

        // Space is back: the retry writes b's line once.
        File.Delete(ledger);
        File.Move(kept, ledger);
        Assert.True(await agent.DeliverAsync("b", "blue"));
        Assert.Equal(["a:red", "b:blue"], ReadResults());
    }

    private List<string> ReadResults() =>
        File.ReadAllLines(ResultsPath).Select(l => ResultRecord.FromJson(l)!).Select(r => $"{r.FrameId}:{r.Answer}").ToList();

    private sealed class Agent : IDisposable
    {
        private Agent(FrameSpool spool, JsonLinesSink sink, ResultDispatcher dispatcher)
        {
            Spool = spool;
            Sink = sink;
            Dispatcher = dispatcher;
        }

        public FrameSpool Spool { get; }

        public JsonLinesSink Sink { get; }

        public ResultDispatcher Dispatcher { get; }

        public static Agent Open(string spoolDirectory, string resultsPath)
        {
            FrameSpool spool = FrameSpool.Open(TestFrames.Options(spoolDirectory), NullLogger<FrameSpool>.Instance);
            JsonLinesSink sink = JsonLinesSink.Open(resultsPath, spool, NullLogger.Instance);
            var dispatcher = new ResultDispatcher(spool, sink, console: false, callbackUrl: null, callbacks: null, new ResultWaiters(), null,
                TimeProvider.System, NullLogger<ResultDispatcher>.Instance);
            return new Agent(spool, sink, dispatcher);
        }

        public Task<bool> DeliverAsync(string id, string answer) =>
            Dispatcher.DeliverAsync(TestFrames.Make(id), OutcomeStatus.Answered, new Final { Text = answer, FinishReason = FinishReason.Stop }, null, CancellationToken.None);

        public void Dispose()
        {
            Dispatcher.Dispose();
            Spool.Dispose();
        }
    }
}
