using System.Collections.Concurrent;

namespace EdgeCloudVlm.Edge.Uplink;

/// <summary>Frame ids whose outcome is committed, waiting to be acknowledged to the cloud (so it can drop its
/// idempotency state early). Losing some on a disconnect is harmless: the cloud's window expires them.</summary>
public sealed class AckQueue
{
    private const int MaxPending = 10_000;
    private readonly ConcurrentQueue<string> _ids = new();

    public void Add(string frameId)
    {
        if (_ids.Count < MaxPending)
        {
            _ids.Enqueue(frameId);
        }
    }

    public IReadOnlyList<string> Drain(int max)
    {
        var list = new List<string>();
        while (list.Count < max && _ids.TryDequeue(out string? id))
        {
            list.Add(id);
        }

        return list;
    }
}
