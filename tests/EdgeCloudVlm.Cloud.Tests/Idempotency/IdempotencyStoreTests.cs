using EdgeCloudVlm.Cloud.Idempotency;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace EdgeCloudVlm.Cloud.Tests.Idempotency;

public sealed class IdempotencyStoreTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Claim_NewKey_MakesTheCallerTheOwner()
    {
        IdempotencyStore<string> store = Create();

        Assert.Equal(ClaimState.Owner, store.Claim("a").State);
    }

    [Fact]
    public void Claim_AfterComplete_ReturnsTheStoredOutcome()
    {
        IdempotencyStore<string> store = Create();
        store.Complete(store.Claim("a"), "first answer");

        IdempotencyClaim<string> again = store.Claim("a");

        Assert.Equal(ClaimState.Completed, again.State);
        Assert.Equal("first answer", again.Outcome);
    }

    [Fact]
    public void Claim_AfterTheWindow_RunsAgain()
    {
        IdempotencyStore<string> store = Create(window: TimeSpan.FromMinutes(10));
        store.Complete(store.Claim("a"), "first answer");

        _time.Advance(TimeSpan.FromMinutes(9));
        ClaimState within = store.Claim("a").State;
        _time.Advance(TimeSpan.FromMinutes(1));
        ClaimState after = store.Claim("a").State;

        Assert.Equal(ClaimState.Completed, within);
        Assert.Equal(ClaimState.Owner, after);
    }

    [Fact]
    public async Task Claim_WhileTheOwnerRuns_WaitsForItsOutcome()
    {
        IdempotencyStore<string> store = Create();
        IdempotencyClaim<string> owner = store.Claim("a");

        IdempotencyClaim<string> duplicate = store.Claim("a");
        Assert.Equal(ClaimState.Pending, duplicate.State);
        Assert.False(duplicate.Pending!.IsCompleted);
        store.Complete(owner, "answer");

        Assert.Equal("answer", await duplicate.Pending);
    }

    [Fact]
    public async Task Abandon_TellsWaitersToRetryAndFreesTheKey()
    {
        IdempotencyStore<string> store = Create();
        IdempotencyClaim<string> owner = store.Claim("a");
        IdempotencyClaim<string> duplicate = store.Claim("a");

        store.Abandon(owner);

        Assert.Null(await duplicate.Pending!);
        Assert.Equal(ClaimState.Owner, store.Claim("a").State);
    }

    [Fact]
    public void Complete_BeyondMaxEntries_DropsTheOldestFinished()
    {
        IdempotencyStore<string> store = Create(maxEntries: 2);
        foreach (string key in new[] { "a", "b", "c" })
        {
            store.Complete(store.Claim(key), key);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(2, store.Count);
        Assert.Equal(ClaimState.Completed, store.Claim("c").State);
        Assert.Equal(ClaimState.Completed, store.Claim("b").State);
        Assert.Equal(ClaimState.Owner, store.Claim("a").State);
    }

    [Fact]
    public void Forget_FinishedKey_RunsAgainButARunningKeyIsKept()
    {
        IdempotencyStore<string> store = Create();
        store.Complete(store.Claim("done"), "x");
        store.Claim("running");

        Assert.True(store.Forget("done"));
        Assert.False(store.Forget("running"));
        Assert.Equal(ClaimState.Owner, store.Claim("done").State);
        Assert.Equal(ClaimState.Pending, store.Claim("running").State);
    }

    [Fact]
    public void Complete_ByANonOwner_Throws()
    {
        IdempotencyStore<string> store = Create();
        store.Claim("a");

        Assert.Throws<InvalidOperationException>(() => store.Complete(store.Claim("a"), "x"));
    }

    private IdempotencyStore<string> Create(TimeSpan? window = null, int maxEntries = 100) =>
        new(Options.Create(new IdempotencyOptions { Window = window ?? TimeSpan.FromMinutes(10), MaxEntries = maxEntries }), _time);
}
