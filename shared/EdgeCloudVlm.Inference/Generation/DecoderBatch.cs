namespace EdgeCloudVlm.Inference.Generation;

/// <summary>
/// One decoder call for <see cref="BatchSize"/> sequences that each add <see cref="SequenceLength"/> positions to a
/// shared-length <see cref="Past"/>. Sequences of different lengths share a batch through padding: padded slots get
/// attention mask 0, and position ids count only real tokens (0-based), so left padding uses cumsum(mask) - 1 and a
/// decode step uses each row's real length. All buffers are row-major.
/// </summary>
public readonly struct DecoderBatch
{
    /// <summary>Creates the batch description; shapes are checked by <see cref="DecoderSession.Run(in DecoderBatch, CancellationToken)"/>.</summary>
    /// <param name="batchSize">Sequences.</param>
    /// <param name="sequenceLength">New positions per sequence.</param>
    /// <param name="inputsEmbeds">[batch, sequence, hidden].</param>
    /// <param name="attentionMask">[batch, past + sequence], 1 for real tokens and 0 for padding.</param>
    /// <param name="positionIds">[batch, sequence].</param>
    /// <param name="past">The cache from the previous call, or <see cref="KvCache.Empty"/> for a prefill.</param>
    public DecoderBatch(
        int batchSize,
        int sequenceLength,
        ReadOnlyMemory<float> inputsEmbeds,
        ReadOnlyMemory<long> attentionMask,
        ReadOnlyMemory<long> positionIds,
        KvCache past)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequenceLength, 1);
        ArgumentNullException.ThrowIfNull(past);
        BatchSize = batchSize;
        SequenceLength = sequenceLength;
        InputsEmbeds = inputsEmbeds;
        AttentionMask = attentionMask;
        PositionIds = positionIds;
        Past = past;
    }

    /// <summary>Sequences.</summary>
    public int BatchSize { get; }

    /// <summary>New positions per sequence.</summary>
    public int SequenceLength { get; }

    /// <summary>[batch, sequence, hidden].</summary>
    public ReadOnlyMemory<float> InputsEmbeds { get; }

    /// <summary>[batch, past + sequence].</summary>
    public ReadOnlyMemory<long> AttentionMask { get; }

    /// <summary>[batch, sequence].</summary>
    public ReadOnlyMemory<long> PositionIds { get; }

    /// <summary>The cache read as <c>past_key_values.*</c>.</summary>
    public KvCache Past { get; }

    /// <summary>Past plus new positions: the attention mask width and the length of the present cache.</summary>
    public int TotalLength => Past.Length + SequenceLength;
}
