using System.Buffers;
using EdgeCloudVlm.Inference.Generation;

namespace EdgeCloudVlm.Cloud.Engine;

/// <summary>
/// What one image costs to compute once and reuse for every question about it: the KV cache of the prompt prefix that
/// ends with the image rows (when the template puts the image before the question), otherwise the image embeddings.
/// Reference-counted so an entry evicted while a prefill still reads it is freed only afterwards.
/// </summary>
internal sealed class ImagePrefix
{
    private int _references = 1;

    private ImagePrefix(string key, KvCache? kv, float[]? embeddings, int embeddingsLength)
    {
        Key = key;
        Kv = kv;
        Embeddings = embeddings;
        EmbeddingsLength = embeddingsLength;
        Bytes = kv is not null
            ? (long)kv.Layers * 2 * kv.LayerLength * sizeof(float)
            : (long)embeddingsLength * sizeof(float);
    }

    public string Key { get; }

    /// <summary>KV cache [1, heads, prefix, head_dim] per layer, or null when only embeddings are kept.</summary>
    public KvCache? Kv { get; }

    /// <summary>Image embeddings [T, E] (pooled), or null when the KV prefix is kept.</summary>
    public float[]? Embeddings { get; }

    public int EmbeddingsLength { get; }

    public long Bytes { get; }

    /// <summary>A prefix entry owning <paramref name="kv"/>; the creator holds the first reference.</summary>
    public static ImagePrefix FromKv(string key, KvCache kv) => new(key, kv, null, 0);

    /// <summary>An embeddings entry owning the pooled <paramref name="embeddings"/>; the creator holds the first reference.</summary>
    public static ImagePrefix FromEmbeddings(string key, float[] embeddings, int length) => new(key, null, embeddings, length);

    public void AddReference() => Interlocked.Increment(ref _references);

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) != 0)
        {
            return;
        }

        Kv?.Dispose();
        if (Embeddings is not null)
        {
            ArrayPool<float>.Shared.Return(Embeddings);
        }
    }
}

/// <summary>
/// Image prefixes by image content key, least recently used first out, bounded in bytes. An entry larger than the whole
/// budget is not kept. Thread-safe.
/// </summary>
internal sealed class ImagePrefixCache : IDisposable
{
    private readonly Dictionary<string, LinkedListNode<ImagePrefix>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<ImagePrefix> _lru = new();
    private readonly Lock _lock = new();
    private long _bytes;

    public ImagePrefixCache(long capacityBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacityBytes);
        CapacityBytes = capacityBytes;
    }

    public long CapacityBytes { get; }

    public bool Enabled => CapacityBytes > 0;

    public long Bytes
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

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

    public bool Contains(string key)
    {
        lock (_lock)
        {
            return _entries.ContainsKey(key);
        }
    }

    /// <summary>The entry for <paramref name="key"/> with a reference the caller must release, or null.</summary>
    public ImagePrefix? Acquire(string key)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out LinkedListNode<ImagePrefix>? node))
            {
                return null;
            }

            _lru.Remove(node);
            _lru.AddFirst(node);
            node.Value.AddReference();
            return node.Value;
        }
    }

    /// <summary>Keeps <paramref name="entry"/> (taking a reference of its own), evicting the least recently used entries
    /// until it fits; returns false when it cannot fit or the key is already cached.</summary>
    public bool Add(ImagePrefix entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Bytes > CapacityBytes)
        {
            return false;
        }

        List<ImagePrefix>? evicted = null;
        lock (_lock)
        {
            if (_entries.ContainsKey(entry.Key))
            {
                return false;
            }

            while (_bytes + entry.Bytes > CapacityBytes && _lru.Last is { } last)
            {
                _lru.RemoveLast();
                _entries.Remove(last.Value.Key);
                _bytes -= last.Value.Bytes;
                (evicted ??= []).Add(last.Value);
            }

            entry.AddReference();
            _entries[entry.Key] = _lru.AddFirst(entry);
            _bytes += entry.Bytes;
        }

        if (evicted is not null)
        {
            foreach (ImagePrefix e in evicted)
            {
                e.Release();
            }
        }

        return true;
    }

    public void Dispose()
    {
        List<ImagePrefix> all;
        lock (_lock)
        {
            all = [.. _lru];
            _lru.Clear();
            _entries.Clear();
            _bytes = 0;
        }

        foreach (ImagePrefix e in all)
        {
            e.Release();
        }
    }
}
