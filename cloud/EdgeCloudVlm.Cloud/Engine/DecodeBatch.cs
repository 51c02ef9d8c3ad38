using System.Buffers;
using EdgeCloudVlm.Inference;
using EdgeCloudVlm.Inference.Generation;

namespace EdgeCloudVlm.Cloud.Engine;

/// <summary>A sequence ready to join the batch, with its prefilled cache in row <see cref="Row"/> of <see cref="Source"/>.</summary>
internal readonly record struct BatchJoiner(EngineSequence Sequence, KvCache Source, int Row);

/// <summary>
/// The running batch: one KV cache [rows, heads, width, head_dim] per layer, every sequence's positions right-aligned
/// in its row (left padding, masked out), and one batched decoder call per step for all rows. The step's present
/// cache becomes the next step's past, so steady decoding copies nothing outside ONNX Runtime. When a sequence
/// finishes its row goes dead (a pad token that attends only to itself) and a newcomer can take it over in place;
/// the cache is rebuilt (every live row copied once) only when newcomers do not fit or dead rows and padding
/// waste too much of each step.
/// </summary>
internal sealed class DecodeBatch : IDisposable
{
    private readonly VlmModel _model;
    private readonly DecoderSession _decoder;
    private readonly TimeProvider _time;
    private readonly EngineCounters _counters;
    private readonly int _maxSequenceTokens;
    private readonly int _hidden;
    private readonly int _vocab;
    private readonly int _padId;
    private EngineSequence?[] _rows = [];
    private KvCache? _cache;
    private KvCache? _zeros;
    private int _count;
    private int _width;
    private int _live;
    private long[] _ids = [];
    private long[] _positions = [];
    private long[] _mask = [];
    private float[] _embeds = [];
    private float[] _logits = [];

    public DecodeBatch(VlmModel model, int maxSequenceTokens, TimeProvider time, EngineCounters counters)
    {
        _model = model;
        _decoder = model.Decoder;
        _time = time;
        _counters = counters;
        _maxSequenceTokens = maxSequenceTokens;
        _hidden = _decoder.HiddenSize;
        _vocab = _decoder.VocabSize;
        _padId = model.Tokenizer.PadId;
    }

    /// <summary>Sequences decoding.</summary>
    public int Live => _live;

    /// <summary>Rows of the cache, dead ones included.</summary>
    public int Rows => _count;

    /// <summary>Positions per row of the cache.</summary>
    public int Width => _width;

    /// <summary>The sequence in <paramref name="row"/>, or null for a dead row.</summary>
    public EngineSequence? this[int row] => _rows[row];

    /// <summary>
    /// Adds prefilled sequences. Returns the source cache the batch took over as its own (the only source, when the
    /// batch was empty and every row of it joins), which the caller must then not dispose; null otherwise.
    /// </summary>
    public KvCache? Join(IReadOnlyList<BatchJoiner> joiners)
    {
        if (joiners.Count == 0)
        {
            return null;
        }

        if (_live == 0 && CanAdopt(joiners))
        {
            Reset();
            KvCache source = joiners[0].Source;
            EnsureRows(joiners.Count);
            for (int r = 0; r < joiners.Count; r++)
            {
                _rows[r] = joiners[r].Sequence;
            }

            _cache = source;
            _count = joiners.Count;
            _width = source.Length;
            _live = joiners.Count;
            return source;
        }

        if (!TryFillDeadRows(joiners))
        {
            Rebuild(joiners);
        }

        return null;
    }

    /// <summary>Marks <paramref name="row"/> dead (its sequence left the batch).</summary>
    public void Remove(int row)
    {
        if (_rows[row] is not null)
        {
            _rows[row] = null;
            _live--;
        }
    }

    /// <summary>Rebuilds the cache without dead rows and padding when they waste too much of a step, or when the next
    /// step would outgrow the per-sequence reservation; frees everything once no sequence is left.</summary>
    public void Compact()
    {
        if (_live == 0)
        {
            Reset();
            return;
        }

        int longest = LongestLive();
        if (_width + 1 > _maxSequenceTokens || IsWasteful(_count, _width, _live, longest))
        {
            Rebuild([]);
        }
    }

    /// <summary>
    /// One decoder call for every row: each live sequence's last token at its own position, the mask covering its
    /// right-aligned positions. Finished sequences leave their rows and are passed to <paramref name="finished"/>.
    /// </summary>
    public void Step(Action<EngineSequence> finished, CancellationToken cancellationToken)
    {
        long start = _time.GetTimestamp();
        int b = _count;
        int total = _width + 1;
        EnsureStepBuffers(b, total);
        for (int r = 0; r < b; r++)
        {
            EngineSequence? s = _rows[r];
            _ids[r] = s?.LastToken ?? _padId;
            _positions[r] = s?.CacheLength ?? 0;
            int real = s is null ? 1 : s.CacheLength + 1;
            Span<long> mask = _mask.AsSpan(r * total, total);
            mask[..(total - real)].Clear();
            mask[(total - real)..].Fill(1);
        }

        long ortStart = _time.GetTimestamp();
        _model.EmbedTokens.Run(_ids.AsMemory(0, b), b, 1, _embeds.AsMemory(0, b * _hidden), cancellationToken);
        var present = new KvCache(_decoder.Layers, b, _decoder.Heads, total, _decoder.HeadDim, clear: false);
        try
        {
            var batch = new DecoderBatch(b, 1, _embeds.AsMemory(0, b * _hidden), _mask.AsMemory(0, b * total),
                _positions.AsMemory(0, b), _cache!);
            _decoder.Run(batch, _logits.AsMemory(0, b * _vocab), present, cancellationToken);
        }
        catch
        {
            present.Dispose();
            throw;
        }

        long ortEnd = _time.GetTimestamp();
        _cache!.Dispose();
        _cache = present;
        _width = total;
        TimeSpan elapsed = _time.GetElapsedTime(start, ortEnd);
        for (int r = 0; r < b; r++)
        {
            EngineSequence? s = _rows[r];
            if (s is null)
            {
                continue;
            }

            s.CacheLength++;
            s.Decode += elapsed;
            if (!s.Accept(_logits.AsSpan(r * _vocab, _vocab), ortEnd))
            {
                _rows[r] = null;
                _live--;
                finished(s);
            }
        }

        long end = _time.GetTimestamp();
        _counters.AddDecodeStep(b, end - start, ortEnd - ortStart);
    }

    /// <summary>Forgets every row and frees the cache (the scheduler has ended their sequences).</summary>
    public void Reset()
    {
        Array.Clear(_rows);
        _cache?.Dispose();
        _cache = null;
        _count = 0;
        _width = 0;
        _live = 0;
    }

    public void Dispose()
    {
        Reset();
        _zeros?.Dispose();
        _zeros = null;
        ReturnStepBuffers();
    }

    // Dead rows and padding cost as much per step as live positions; a rebuild costs one copy of the live ones.
    private static bool IsWasteful(int rows, int width, int live, int longest) =>
        (long)rows * (width + 1) * 4 > (long)live * (longest + 1) * 5;

    private static bool CanAdopt(IReadOnlyList<BatchJoiner> joiners)
    {
        KvCache source = joiners[0].Source;
        if (source.BatchSize != joiners.Count)
        {
            return false;
        }

        for (int r = 0; r < joiners.Count; r++)
        {
            BatchJoiner j = joiners[r];
            if (!ReferenceEquals(j.Source, source) || j.Row != r || j.Sequence.CacheLength != source.Length)
            {
                return false;
            }
        }

        return true;
    }

    private bool TryFillDeadRows(IReadOnlyList<BatchJoiner> joiners)
    {
        if (_cache is null || _count - _live < joiners.Count)
        {
            return false;
        }

        int longest = LongestLive();
        foreach (BatchJoiner j in joiners)
        {
            if (j.Sequence.CacheLength > _width)
            {
                return false;
            }

            longest = Math.Max(longest, j.Sequence.CacheLength);
        }

        if (_width + 1 > _maxSequenceTokens || IsWasteful(_count, _width, _live + joiners.Count, longest))
        {
            return false;
        }

        int row = 0;
        foreach (BatchJoiner j in joiners)
        {
            while (_rows[row] is not null)
            {
                row++;
            }

            // Columns left of the newcomer keep the old row's finite values; the mask hides them.
            int length = j.Sequence.CacheLength;
            _cache.CopyFrom(j.Source, j.Row, j.Source.Length - length, length, row, _width - length);
            _rows[row] = j.Sequence;
            _live++;
        }

        return true;
    }

    private void Rebuild(IReadOnlyList<BatchJoiner> joiners)
    {
        int count = _live + joiners.Count;
        int width = LongestLive();
        foreach (BatchJoiner j in joiners)
        {
            width = Math.Max(width, j.Sequence.CacheLength);
        }

        var rows = new EngineSequence?[count];
        var next = new KvCache(_decoder.Layers, count, _decoder.Heads, width, _decoder.HeadDim, clear: false);
        int row = 0;
        for (int r = 0; r < _count; r++)
        {
            if (_rows[r] is { } s)
            {
                Place(next, width, row, _cache!, r, _width - s.CacheLength, s.CacheLength);
                rows[row++] = s;
            }
        }

        foreach (BatchJoiner j in joiners)
        {
            int length = j.Sequence.CacheLength;
            Place(next, width, row, j.Source, j.Row, j.Source.Length - length, length);
            rows[row++] = j.Sequence;
        }

        _cache?.Dispose();
        _cache = next;
        _rows = rows;
        _count = count;
        _width = width;
        _live = count;
        _counters.AddRebuild();
    }

    // Right-aligns a sequence's positions in its new row and zeroes the padding: pooled buffers may hold anything, and
    // masked attention still multiplies padding by zero, so it must be finite.
    private void Place(KvCache destination, int width, int row, KvCache source, int sourceRow, int sourceStart, int length)
    {
        destination.CopyFrom(source, sourceRow, sourceStart, length, row, width - length);
        int padding = width - length;
        if (padding > 0)
        {
            _zeros ??= _decoder.CreateCache(1, _maxSequenceTokens);
            destination.CopyFrom(_zeros, 0, 0, padding, row, 0);
        }
    }

    private int LongestLive()
    {
        int longest = 0;
        for (int r = 0; r < _count; r++)
        {
            if (_rows[r] is { } s && s.CacheLength > longest)
            {
                longest = s.CacheLength;
            }
        }

        return longest;
    }

    private void EnsureRows(int count)
    {
        if (_rows.Length < count)
        {
            _rows = new EngineSequence?[count];
        }
    }

    private void EnsureStepBuffers(int rows, int total)
    {
        Grow(ref _ids, rows);
        Grow(ref _positions, rows);
        Grow(ref _mask, rows * total);
        Grow(ref _embeds, rows * _hidden);
        Grow(ref _logits, rows * _vocab);
    }

    private static void Grow<T>(ref T[] buffer, int length)
    {
        if (buffer.Length >= length)
        {
            return;
        }

        if (buffer.Length > 0)
        {
            ArrayPool<T>.Shared.Return(buffer);
        }

        buffer = ArrayPool<T>.Shared.Rent(Math.Max(length, buffer.Length * 2));
    }

    private void ReturnStepBuffers()
    {
        Return(ref _ids);
        Return(ref _positions);
        Return(ref _mask);
        Return(ref _embeds);
        Return(ref _logits);
    }

    private static void Return<T>(ref T[] buffer)
    {
        if (buffer.Length > 0)
        {
            ArrayPool<T>.Shared.Return(buffer);
        }

        buffer = [];
    }
}
