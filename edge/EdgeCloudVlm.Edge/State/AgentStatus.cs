namespace EdgeCloudVlm.Edge.State;

/// <summary>State of the link to the cloud.</summary>
public enum LinkState
{
    Disconnected = 0,
    Connecting = 1,
    Connected = 2,

    /// <summary>The cloud refused the credentials; retried with backoff in case they are fixed cloud-side.</summary>
    Unauthorized = 3,

    /// <summary>Too many failed attempts in a row; attempts pause for the break duration.</summary>
    CircuitOpen = 4,
}

/// <summary>Live state shared by the agent's parts for <c>status</c>: link state, counters and the last errors.</summary>
public sealed class AgentStatus(TimeProvider time)
{
    private const int MaxErrors = 20;
    private readonly Lock _gate = new();
    private readonly Queue<StatusError> _errors = new();
    private LinkState _link;
    private DateTimeOffset _linkSince = time.GetUtcNow();
    private string? _linkDetail;
    private string? _sessionId;
    private long _framesTaken;
    private long _results;
    private long _fallbacks;
    private long _refused;

    public DateTimeOffset StartedAt { get; } = time.GetUtcNow();

    public LinkState Link
    {
        get
        {
            lock (_gate)
            {
                return _link;
            }
        }
    }

    public void SetLink(LinkState state, string? detail = null, string? sessionId = null)
    {
        lock (_gate)
        {
            if (state != _link)
            {
                _linkSince = time.GetUtcNow();
            }

            _link = state;
            _linkDetail = detail;
            _sessionId = state == LinkState.Connected ? sessionId : null;
        }
    }

    public void RecordError(string component, string message)
    {
        lock (_gate)
        {
            _errors.Enqueue(new StatusError(time.GetUtcNow(), component, message));
            while (_errors.Count > MaxErrors)
            {
                _errors.Dequeue();
            }
        }
    }

    public void FrameTaken() => Interlocked.Increment(ref _framesTaken);

    public void ResultDelivered() => Interlocked.Increment(ref _results);

    public void Fallback() => Interlocked.Increment(ref _fallbacks);

    public void Refused() => Interlocked.Increment(ref _refused);

    public LinkStatus LinkStatus()
    {
        lock (_gate)
        {
            return new LinkStatus(_link.ToString(), _linkSince, _linkDetail, _sessionId);
        }
    }

    public IReadOnlyList<StatusError> LastErrors()
    {
        lock (_gate)
        {
            return [.. _errors];
        }
    }

    public StatusCounters Counters() => new(
        Interlocked.Read(ref _framesTaken), Interlocked.Read(ref _results), Interlocked.Read(ref _fallbacks), Interlocked.Read(ref _refused));
}

public sealed record StatusError(DateTimeOffset At, string Component, string Message);

public sealed record LinkStatus(string State, DateTimeOffset Since, string? Detail, string? SessionId);

public sealed record StatusCounters(long FramesTaken, long ResultsDelivered, long Fallbacks, long Refused);
