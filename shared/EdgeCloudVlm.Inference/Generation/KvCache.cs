using System.Buffers;

namespace EdgeCloudVlm.Inference.Generation;

/// <summary>
/// Per-layer key and value tensors [batch, heads, length, head_dim] in pooled managed buffers. A decode step reads one
/// cache as <c>past_key_values.*</c> and writes the next as <c>present.*</c>; a scheduler assembles batches by copying
/// rows between caches (<see cref="CopyFrom"/>), for example left-aligning sequences of different lengths.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly float[][] _keys;
    private readonly float[][] _values;
    private bool _disposed;

    /// <summary>Rents the buffers; with <paramref name="clear"/> they start zeroed (needed where padding slots are never
    /// written, since masked attention still multiplies them by zero and a stale NaN would leak through).</summary>
    public KvCache(int layers, int batchSize, int heads, int length, int headDim, bool clear = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(layers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(heads, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfLessThan(headDim, 1);
        Layers = layers;
        BatchSize = batchSize;
        Heads = heads;
        Length = length;
        HeadDim = headDim;
        LayerLength = checked(batchSize * heads * length * headDim);
        _keys = new float[layers][];
        _values = new float[layers][];
        for (int i = 0; i < layers; i++)
        {
            _keys[i] = ArrayPool<float>.Shared.Rent(LayerLength);
            _values[i] = ArrayPool<float>.Shared.Rent(LayerLength);
            if (clear)
            {
                Array.Clear(_keys[i], 0, LayerLength);
                Array.Clear(_values[i], 0, LayerLength);
            }
        }
    }

    /// <summary>Decoder layers.</summary>
    public int Layers { get; }

    /// <summary>Sequences in the batch.</summary>
    public int BatchSize { get; }

    /// <summary>Key/value heads.</summary>
    public int Heads { get; }

    /// <summary>Cached positions per sequence (including padding slots).</summary>
    public int Length { get; }

    /// <summary>Width of one head.</summary>
    public int HeadDim { get; }

    /// <summary>Floats in one layer's key (or value) tensor.</summary>
    public int LayerLength { get; }

    /// <summary>A zero-length cache, the <c>past</c> of a prefill.</summary>
    public static KvCache Empty(int layers, int batchSize, int heads, int headDim) =>
        new(layers, batchSize, heads, 0, headDim);

    /// <summary>Layer <paramref name="layer"/>'s key tensor.</summary>
    public Memory<float> Key(int layer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _keys[layer].AsMemory(0, LayerLength);
    }

    /// <summary>Layer <paramref name="layer"/>'s value tensor.</summary>
    public Memory<float> Value(int layer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _values[layer].AsMemory(0, LayerLength);
    }

    /// <summary>
    /// Copies positions <paramref name="sourceStart"/>..+<paramref name="count"/> of row <paramref name="sourceRow"/> in
    /// <paramref name="source"/> to positions <paramref name="destinationStart"/>.. of row <paramref name="destinationRow"/>,
    /// in every layer and head.
    /// </summary>
    public void CopyFrom(KvCache source, int sourceRow, int sourceStart, int count, int destinationRow, int destinationStart)
    {
        ArgumentNullException.ThrowIfNull(source);
        ObjectDisposedException.ThrowIf(_disposed, this);
        ObjectDisposedException.ThrowIf(source._disposed, source);
        if (source.Layers != Layers || source.Heads != Heads || source.HeadDim != HeadDim)
        {
            throw new ArgumentException("caches have different layer, head or head_dim counts", nameof(source));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if ((uint)sourceRow >= (uint)source.BatchSize || (uint)destinationRow >= (uint)BatchSize)
        {
            throw new ArgumentOutOfRangeException(nameof(sourceRow), "row outside the batch");
        }

        if (sourceStart < 0 || sourceStart + count > source.Length || destinationStart < 0 || destinationStart + count > Length)
        {
            throw new ArgumentOutOfRangeException(nameof(count), "positions outside the cache");
        }

        int span = count * HeadDim;
        for (int layer = 0; layer < Layers; layer++)
        {
            for (int h = 0; h < Heads; h++)
            {
                int from = (((sourceRow * Heads) + h) * source.Length + sourceStart) * HeadDim;
                int to = (((destinationRow * Heads) + h) * Length + destinationStart) * HeadDim;
                source._keys[layer].AsSpan(from, span).CopyTo(_keys[layer].AsSpan(to, span));
                source._values[layer].AsSpan(from, span).CopyTo(_values[layer].AsSpan(to, span));
            }
        }
    }

    /// <summary>Returns the buffers to the pool.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        for (int i = 0; i < Layers; i++)
        {
            ArrayPool<float>.Shared.Return(_keys[i]);
            ArrayPool<float>.Shared.Return(_values[i]);
        }
    }
}
