using System.Buffers;

namespace EdgeCloudVlm.Inference.Generation;

/// <summary>The logits and present cache of one decoder call; disposing returns the pooled buffers.</summary>
public sealed class DecoderOutput : IDisposable
{
    private float[]? _logits;
    private KvCache? _present;

    internal DecoderOutput(float[] logits, int batchSize, int sequenceLength, int vocabSize, KvCache present)
    {
        _logits = logits;
        BatchSize = batchSize;
        SequenceLength = sequenceLength;
        VocabSize = vocabSize;
        _present = present;
    }

    /// <summary>Sequences.</summary>
    public int BatchSize { get; }

    /// <summary>Positions per sequence.</summary>
    public int SequenceLength { get; }

    /// <summary>Scores per position.</summary>
    public int VocabSize { get; }

    /// <summary>All logits, [batch, sequence, vocab].</summary>
    public ReadOnlySpan<float> Logits
    {
        get
        {
            ObjectDisposedException.ThrowIf(_logits is null, this);
            return _logits.AsSpan(0, BatchSize * SequenceLength * VocabSize);
        }
    }

    /// <summary>The present cache, owned by this output until <see cref="DetachPresent"/>.</summary>
    public KvCache Present => _present ?? throw new InvalidOperationException("the present cache was detached");

    /// <summary>The scores for position <paramref name="position"/> of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<float> GetLogits(int row, int position)
    {
        if ((uint)row >= (uint)BatchSize || (uint)position >= (uint)SequenceLength)
        {
            throw new ArgumentOutOfRangeException(nameof(position), "row or position outside the output");
        }

        return Logits.Slice(((row * SequenceLength) + position) * VocabSize, VocabSize);
    }

    /// <summary>Takes ownership of the present cache (to feed the next step as its past).</summary>
    public KvCache DetachPresent()
    {
        KvCache present = Present;
        _present = null;
        return present;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_logits is not null)
        {
            ArrayPool<float>.Shared.Return(_logits);
            _logits = null;
        }

        _present?.Dispose();
        _present = null;
    }
}
