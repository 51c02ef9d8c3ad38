using EdgeCloudVlm.Edge.Spool;
using EdgeCloudVlm.Edge.Tests.Support;
using EdgeCloudVlm.Edge.Uplink;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EdgeCloudVlm.Edge.Tests.Uplink;

public sealed class SendSchedulerTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly FrameSpool _spool;
    private readonly FakeTimeProvider _time = new();

    public SendSchedulerTests()
    {
        _spool = FrameSpool.Open(TestFrames.Options(_temp.Path), NullLogger<FrameSpool>.Instance);
    }

    public void Dispose()
    {
        _spool.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task TakeNextAsync_WindowFull_WaitsUntilAnOutcomeFreesASlot()
    {
        var scheduler = new SendScheduler(_time) { MaxInFlight = 2 };
        scheduler.Enqueue(Spool("a", "b", "c"));

        SpoolEntry first = await scheduler.TakeNextAsync(CancellationToken.None);
        SpoolEntry second = await scheduler.TakeNextAsync(CancellationToken.None);
        Task<SpoolEntry> third = scheduler.TakeNextAsync(CancellationToken.None);

        Assert.Equal(["a", "b"], new[] { first.FrameId, second.FrameId });
        Assert.False(third.IsCompleted);
        Assert.Equal(2, scheduler.InFlight);

        Assert.True(scheduler.OutcomeReceived("a"));
        Assert.Equal("c", (await third.WaitAsync(TimeSpan.FromSeconds(5))).FrameId);
    }

    [Fact]
    public async Task ResetInFlight_AfterDisconnect_ResendsInOriginalOrderButNotAnsweredFrames()
    {
        var scheduler = new SendScheduler(_time) { MaxInFlight = 10 };
        scheduler.Enqueue(Spool("a", "b", "c", "d"));
        for (int i = 0; i < 4; i++)
        {
            await scheduler.TakeNextAsync(CancellationToken.None);
        }

        scheduler.OutcomeReceived("b");
        Assert.Equal(3, scheduler.ResetInFlight());

        var resent = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            resent.Add((await scheduler.TakeNextAsync(CancellationToken.None)).FrameId);
        }

        Assert.Equal(["a", "c", "d"], resent);
        Assert.Equal(4, scheduler.Count);
        scheduler.Completed("b");
        Assert.Equal(3, scheduler.Count);
    }

    [Fact]
    public async Task Retry_WithDelay_NotSentBeforeItsTimeInVirtualTime()
    {
        var scheduler = new SendScheduler(_time) { MaxInFlight = 10 };
        scheduler.Enqueue(Spool("a"));
        await scheduler.TakeNextAsync(CancellationToken.None);

        scheduler.Retry("a", TimeSpan.FromSeconds(30));
        Task<SpoolEntry> next = scheduler.TakeNextAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(29));
        await Task.Yield();
        Assert.False(next.IsCompleted);

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("a", (await next.WaitAsync(TimeSpan.FromSeconds(5))).FrameId);
    }

    [Fact]
    public async Task OutcomeReceived_UnknownOrRepeated_ReturnsFalse()
    {
        var scheduler = new SendScheduler(_time);
        scheduler.Enqueue(Spool("a"));
        await scheduler.TakeNextAsync(CancellationToken.None);

        Assert.True(scheduler.OutcomeReceived("a"));
        Assert.False(scheduler.OutcomeReceived("a"));
        Assert.False(scheduler.OutcomeReceived("zzz"));
        Assert.Equal(0, scheduler.InFlight);
    }

    private IReadOnlyList<SpoolEntry> Spool(params string[] ids)
    {
        _spool.Append(ids.Select(id => TestFrames.Make(id)).ToList());
        return _spool.PendingEntries().Where(e => ids.Contains(e.FrameId)).ToList();
    }
}
