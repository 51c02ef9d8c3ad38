using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.Cloud.Idempotency;

/// <summary>What <see cref="IdempotencyStore{TOutcome}.Claim"/> found for a key.</summary>
internal enum ClaimState
{
    /// <summary>The key is new: the caller runs the work and must call Complete or Abandon.</summary>
    Owner,

    /// <summary>The key finished within the window: <see cref="IdempotencyClaim{TOutcome}.Outcome"/> is the answer.</summary>
    Completed,

    /// <summary>Another caller is running it: await <see cref="IdempotencyClaim{TOutcome}.Pending"/>.</summary>
    Pending,
}

/// <summary>The result of claiming a key.</summary>
internal readonly struct IdempotencyClaim<TOutcome>
    where TOutcome : class
{
    internal IdempotencyClaim(ClaimState state, TOutcome? outcome, Task<TOutcome?>? pending, object? entry)
    {
        State = state;
        Outcome = outcome;
        Pending = pending;
        Entry = entry;
    }

    public ClaimState State { get; }

    /// <summary>The stored outcome when <see cref="State"/> is <see cref="ClaimState.Completed"/>.</summary>
    public TOutcome? Outcome { get; }

    /// <summary>Completes with the owner's outcome, or with <see langword="null"/> when the owner gave up (the waiter
    /// should claim again and run the work itself).</summary>
    public Task<TOutcome?>? Pending { get; }

    internal object? Entry { get; }
}

/// <summary>
/// Remembers the outcome of each key (device and frame id) for a time window, bounded in entries, so a retried frame
/// gets the first answer instead of a second run, and a duplicate that arrives while the first is still running waits
/// for it. Work that fails in a way a retry could fix is abandoned, not stored, so the retry runs it again.
/// </summary>
internal sealed class IdempotencyStore<TOutcome>(IOptions<IdempotencyOptions> options, TimeProvider timeProvider)
    where TOutcome : class
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    // Finished entries oldest first: with one window for all, this is also expiry order.
    private readonly LinkedList<string> _finished = new();

    /// <summary>Keys held (running and finished).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    public IdempotencyClaim<TOutcome> Claim(string key)
    {
        lock (_lock)
        {
            Sweep(timeProvider.GetUtcNow());
            if (_entries.TryGetValue(key, out Entry? entry))
            {
                return entry.Node is not null
                    ? new IdempotencyClaim<TOutcome>(ClaimState.Completed, entry.Outcome, null, null)
                    : new IdempotencyClaim<TOutcome>(ClaimState.Pending, null, entry.Completion.Task, null);
            }

            entry = new Entry(key);
            _entries.Add(key, entry);
            return new IdempotencyClaim<TOutcome>(ClaimState.Owner, null, null, entry);
        }
    }

    /// <summary>Stores the owner's outcome for the window and hands it to waiting duplicates.</summary>
    public void Complete(IdempotencyClaim<TOutcome> claim, TOutcome outcome)
    {
        Entry entry = OwnedEntry(claim);
        lock (_lock)
        {
            if (_entries.TryGetValue(entry.Key, out Entry? current) && ReferenceEquals(current, entry))
            {
                entry.Outcome = outcome;
                entry.ExpiresAt = timeProvider.GetUtcNow() + options.Value.Window;
                entry.Node = _finished.AddLast(entry.Key);
                int max = options.Value.MaxEntries;
                while (_entries.Count > max && _finished.First is { } oldest)
                {
                    _finished.RemoveFirst();
                    _entries.Remove(oldest.Value);
                }
            }
        }

        entry.Completion.TrySetResult(outcome);
    }

    /// <summary>Forgets a key whose work did not finish, so the next claim runs it again; waiters are told to retry.</summary>
    public void Abandon(IdempotencyClaim<TOutcome> claim)
    {
        Entry entry = OwnedEntry(claim);
        lock (_lock)
        {
            if (_entries.TryGetValue(entry.Key, out Entry? current) && ReferenceEquals(current, entry))
            {
                _entries.Remove(entry.Key);
            }
        }

        entry.Completion.TrySetResult(null);
    }

    /// <summary>Drops a finished key early (the edge has stored its answer). Running keys are kept.</summary>
    public bool Forget(string key)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out Entry? entry) && entry.Node is not null)
            {
                _finished.Remove(entry.Node);
                _entries.Remove(key);
                return true;
            }

            return false;
        }
    }

    private void Sweep(DateTimeOffset now)
    {
        while (_finished.First is { } oldest && _entries[oldest.Value].ExpiresAt <= now)
        {
            _finished.RemoveFirst();
            _entries.Remove(oldest.Value);
        }
    }

    private static Entry OwnedEntry(IdempotencyClaim<TOutcome> claim) =>
        claim.State == ClaimState.Owner && claim.Entry is Entry entry
            ? entry
            : throw new InvalidOperationException("only the owner of a claim can complete or abandon it");

    private sealed class Entry(string key)
    {
        public string Key { get; } = key;

        public TaskCompletionSource<TOutcome?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TOutcome? Outcome { get; set; }

        public DateTimeOffset ExpiresAt { get; set; }

        /// <summary>Set once finished: the entry's place in the expiry list.</summary>
        public LinkedListNode<string>? Node { get; set; }
    }
}
