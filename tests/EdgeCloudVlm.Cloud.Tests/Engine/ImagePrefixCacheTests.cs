using EdgeCloudVlm.Cloud.Engine;
using EdgeCloudVlm.Inference.Generation;

namespace EdgeCloudVlm.Cloud.Tests.Engine;

public sealed class ImagePrefixCacheTests
{
    // One entry: 1 layer x (key + value) x 1 head x 4 positions x 8 dims x 4 bytes = 256 bytes.
    private const int EntryBytes = 256;

    [Fact]
    public void Add_BeyondCapacity_EvictsLeastRecentlyUsed()
    {
        using var cache = new ImagePrefixCache(2 * EntryBytes);
        Add(cache, "a");
        Add(cache, "b");
        cache.Acquire("a")!.Release();

        Add(cache, "c");

        Assert.True(cache.Contains("a"));
        Assert.False(cache.Contains("b"));
        Assert.True(cache.Contains("c"));
        Assert.Equal(2 * EntryBytes, cache.Bytes);
    }

    [Fact]
    public void Add_EntryLargerThanCapacity_IsNotKept()
    {
        using var cache = new ImagePrefixCache(EntryBytes - 1);

        Assert.False(cache.Add(ImagePrefix.FromKv("a", NewKv())));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Acquire_EvictedWhileHeld_StaysUsableUntilReleased()
    {
        using var cache = new ImagePrefixCache(EntryBytes);
        Add(cache, "a");
        ImagePrefix held = cache.Acquire("a")!;

        Add(cache, "b");

        Assert.False(cache.Contains("a"));
        Assert.Equal(4, held.Kv!.Key(0).Length / 8);
        held.Release();
        Assert.Throws<ObjectDisposedException>(() => held.Kv!.Key(0));
    }

    [Fact]
    public void Acquire_Missing_ReturnsNull()
    {
        using var cache = new ImagePrefixCache(EntryBytes);

        Assert.Null(cache.Acquire("missing"));
    }

    private static void Add(ImagePrefixCache cache, string key)
    {
        var entry = ImagePrefix.FromKv(key, NewKv());
        Assert.True(cache.Add(entry));
        entry.Release();
    }

    private static KvCache NewKv() => new(layers: 1, batchSize: 1, heads: 1, length: 4, headDim: 8);
}
