using EdgeCloudVlm.Edge.Spool;

namespace EdgeCloudVlm.Edge.Uplink;

/// <summary>
/// Which spooled frames go out next. Frames leave in spool order, at most <see cref="MaxInFlight"/> at a time without
/// an outcome; a frame whose outcome arrived waits for its delivery to commit before it is forgotten, so a reconnect in
/// between neither resends nor loses it. On reconnect every frame still in flight goes back to the queue (the cloud
/// de-duplicates by frame id). A retryable error puts a frame back with a not-before time.
/// </summary>
public sealed class SendScheduler(TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly SortedDictionary<long, Item> _queued = [];
    private readonly Dictionary<string, Item> _items = new(StringComparer.Ordinal);
    private TaskCompletionSource _changed = NewSignal();
    private int _inFlight;
    private int _maxInFlight = 1;

    public int InFlight
    {
        get
        {
            lock (_gate)
            {
                return _inFlight;
            }
        }
    }

    public int Queued
    {
        get
        {
            lock (_gate)
            {
                return _queued.Count;
            }
        }
    }

    /// <summary>Frames known to the scheduler: queued, in flight, or answered and awaiting commit.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _items.Count;
            }
        }
    }

    /// <summary>The window of the current session (HelloAck's figure, never above the configured one).</summary>
    public int MaxInFlight
    {
        get
        {
            lock (_gate)
            {
                return _maxInFlight;
            }
        }

        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            lock (_gate)
            {
                _maxInFlight = value;
                Signal();
            }
        }
    }

    /// <summary>Adds spooled frames (ignored when already known).</summary>
    public void Enqueue(IEnumerable<SpoolEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        lock (_gate)
        {
            foreach (SpoolEntry entry in entries)
            {
                if (_items.ContainsKey(entry.FrameId))
                {
                    continue;
                }

                var item = new Item(entry);
                _items[entry.FrameId] = item;
                _queued[entry.Sequence] = item;
            }

            Signal();
        }
    }

    /// <summary>
    /// Waits for the oldest frame that may be sent now (window open, retry time reached) and marks it in flight.
    /// </summary>
    public async Task<SpoolEntry> TakeNextAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            TimeSpan? wait = null;
            lock (_gate)
            {
                changed = _changed.Task;
                if (_inFlight < _maxInFlight)
                {
                    DateTimeOffset now = time.GetUtcNow();
                    foreach (Item item in _queued.Values)
                    {
                        if (item.NotBefore <= now)
                        {
                            _queued.Remove(item.Entry.Sequence);
                            item.State = ItemState.InFlight;
                            _inFlight++;
                            return item.Entry;
                        }

                        TimeSpan until = item.NotBefore - now;
                        wait = wait is null || until < wait ? until : wait;
                    }
                }
            }

            if (wait is { } delay)
            {
                using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                Task delayTask = Task.Delay(delay, time, timer.Token);
                await Task.WhenAny(changed, delayTask).WaitAsync(cancellationToken);
                await timer.CancelAsync();
            }
            else
            {
                await changed.WaitAsync(cancellationToken);
            }
        }
    }

    /// <summary>The frame's outcome arrived: its window slot frees now; it stays known until committed.</summary>
    /// <returns>False when the frame was not in flight here (a late or repeated outcome).</returns>
    public bool OutcomeReceived(string frameId)
    {
        lock (_gate)
        {
            if (!_items.TryGetValue(frameId, out Item? item))
            {
                return false;
            }

            if (item.State == ItemState.InFlight)
            {
                _inFlight--;
            }
            else if (item.State == ItemState.Queued)
            {
                // Answered by an earlier session while it waited to be resent.
                _queued.Remove(item.Entry.Sequence);
            }
            else
            {
                return false;
            }

            item.State = ItemState.Answered;
            Signal();
            return true;
        }
    }

    /// <summary>The outcome is committed (or the frame was dropped): forget it.</summary>
    public void Completed(string frameId)
    {
        lock (_gate)
        {
            if (!_items.Remove(frameId, out Item? item))
            {
                return;
            }

            if (item.State == ItemState.InFlight)
            {
                _inFlight--;
            }
            else if (item.State == ItemState.Queued)
            {
                _queued.Remove(item.Entry.Sequence);
            }

            Signal();
        }
    }

    /// <summary>Sends the frame again after <paramref name="delay"/> (retryable error, or a delivery that failed).</summary>
    public void Retry(string frameId, TimeSpan delay)
    {
        lock (_gate)
        {
            if (!_items.TryGetValue(frameId, out Item? item) || item.State == ItemState.Queued)
            {
                return;
            }

            if (item.State == ItemState.InFlight)
            {
                _inFlight--;
            }

            item.State = ItemState.Queued;
            item.NotBefore = time.GetUtcNow() + delay;
            _queued[item.Entry.Sequence] = item;
            Signal();
        }
    }

    /// <summary>The stream broke: everything in flight is queued again, in its original order.</summary>
    public int ResetInFlight()
    {
        lock (_gate)
        {
            int count = 0;
            foreach (Item item in _items.Values)
            {
                if (item.State == ItemState.InFlight)
                {
                    item.State = ItemState.Queued;
                    _queued[item.Entry.Sequence] = item;
                    count++;
                }
            }

            _inFlight = 0;
            Signal();
            return count;
        }
    }

    /// <summary>Frame ids currently in flight (for status and tests).</summary>
    public IReadOnlyList<string> InFlightIds()
    {
        lock (_gate)
        {
            return [.. _items.Values.Where(i => i.State == ItemState.InFlight).Select(i => i.Entry.FrameId)];
        }
    }

    private void Signal()
    {
        TaskCompletionSource previous = _changed;
        _changed = NewSignal();
        previous.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private enum ItemState
    {
        Queued,
        InFlight,
        Answered,
    }

    private sealed class Item(SpoolEntry entry)
    {
        public SpoolEntry Entry { get; } = entry;

        public ItemState State { get; set; } = ItemState.Queued;

        public DateTimeOffset NotBefore { get; set; } = DateTimeOffset.MinValue;
    }
}
