using System.Collections.Concurrent;

namespace EdgeCloudVlm.Edge.Results;

/// <summary>Callers waiting for one frame's result in-process (the synchronous HTTP intake).</summary>
public sealed class ResultWaiters
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<ResultRecord>> _waiting = new(StringComparer.Ordinal);

    /// <summary>Registers interest before the frame is submitted, so a fast answer cannot be missed.</summary>
    public Task<ResultRecord> Register(string frameId) =>
        _waiting.GetOrAdd(frameId, static _ => new TaskCompletionSource<ResultRecord>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Forget(string frameId) => _waiting.TryRemove(frameId, out _);

    public void Complete(ResultRecord result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (_waiting.TryRemove(result.FrameId, out TaskCompletionSource<ResultRecord>? source))
        {
            source.TrySetResult(result);
        }
    }
}
