using System.Buffers;
using EdgeCloudVlm.Inference.Manifest;
using EdgeCloudVlm.Inference.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace EdgeCloudVlm.Inference.Generation;

/// <summary>
/// The language model with a KV cache, one call per prefill or decode step for a whole batch of sequences. Inputs and
/// outputs live in managed memory (pooled logits and <see cref="KvCache"/> buffers) bound directly to the session.
/// Thread-safe: concurrent calls with distinct buffers are allowed.
/// </summary>
public sealed class DecoderSession : IDisposable
{
    private readonly OnnxSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;

    /// <summary>Wraps a created session after checking it against the manifest.</summary>
    /// <exception cref="ModelLoadException">The graph disagrees with the manifest.</exception>
    public DecoderSession(ModelManifest manifest, OnnxSession session)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(session);
        PartSignature.Validate(manifest.GetPart(ModelPartNames.Decoder), session);
        _session = session;
        LanguageModelSpec lm = manifest.LanguageModel;
        Layers = lm.Layers;
        Heads = lm.Heads;
        HeadDim = lm.HeadDim;
        HiddenSize = lm.HiddenSize;
        VocabSize = lm.VocabSize;
        MaxPositions = lm.MaxPositions;
        _inputNames = new string[3 + (2 * Layers)];
        _outputNames = new string[1 + (2 * Layers)];
        _inputNames[0] = DecoderNames.InputsEmbeds;
        _inputNames[1] = DecoderNames.AttentionMask;
        _inputNames[2] = DecoderNames.PositionIds;
        _outputNames[0] = DecoderNames.Logits;
        for (int i = 0; i < Layers; i++)
        {
            _inputNames[3 + (2 * i)] = DecoderNames.Past(i, key: true);
            _inputNames[4 + (2 * i)] = DecoderNames.Past(i, key: false);
            _outputNames[1 + (2 * i)] = DecoderNames.Present(i, key: true);
            _outputNames[2 + (2 * i)] = DecoderNames.Present(i, key: false);
        }
    }

    /// <summary>The underlying session.</summary>
    public OnnxSession Session => _session;

    /// <summary>Decoder layers.</summary>
    public int Layers { get; }

    /// <summary>Key/value heads.</summary>
    public int Heads { get; }

    /// <summary>Width of one head.</summary>
    public int HeadDim { get; }

    /// <summary>Width of <c>inputs_embeds</c>.</summary>
    public int HiddenSize { get; }

    /// <summary>Scores per position.</summary>
    public int VocabSize { get; }

    /// <summary>Longest sequence the model was trained for (0 when unknown).</summary>
    public int MaxPositions { get; }

    /// <summary>A zero-length cache for a prefill of <paramref name="batchSize"/> sequences.</summary>
    public KvCache CreateEmptyCache(int batchSize) => KvCache.Empty(Layers, batchSize, Heads, HeadDim);

    /// <summary>A zeroed cache of <paramref name="length"/> positions, to assemble a batch from other caches.</summary>
    public KvCache CreateCache(int batchSize, int length) => new(Layers, batchSize, Heads, length, HeadDim);

    /// <summary>Runs one call; the output owns pooled logits and the present cache.</summary>
    public DecoderOutput Run(in DecoderBatch batch, CancellationToken cancellationToken = default)
    {
        int logitsLength = batch.BatchSize * batch.SequenceLength * VocabSize;
        float[] logits = ArrayPool<float>.Shared.Rent(logitsLength);
        KvCache? present = null;
        try
        {
            present = new KvCache(Layers, batch.BatchSize, Heads, batch.TotalLength, HeadDim, clear: false);
            Run(batch, logits.AsMemory(0, logitsLength), present, cancellationToken);
            var output = new DecoderOutput(logits, batch.BatchSize, batch.SequenceLength, VocabSize, present);
            logits = null!;
            present = null;
            return output;
        }
        finally
        {
            if (logits is not null)
            {
                ArrayPool<float>.Shared.Return(logits);
            }

            present?.Dispose();
        }
    }

    /// <summary>Runs one call writing logits [batch, sequence, vocab] and the present cache into caller buffers.</summary>
    public void Run(in DecoderBatch batch, Memory<float> logits, KvCache present, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(present);
        Check(batch, logits, present);
        int b = batch.BatchSize;
        int s = batch.SequenceLength;
        long[] kvPast = [b, Heads, batch.Past.Length, HeadDim];
        long[] kvPresent = [b, Heads, batch.TotalLength, HeadDim];
        var inputs = new OrtValue[_inputNames.Length];
        var outputs = new OrtValue[_outputNames.Length];
        try
        {
            inputs[0] = OrtTensors.CreateInput(batch.InputsEmbeds, b, s, HiddenSize);
            inputs[1] = OrtTensors.CreateInput(batch.AttentionMask, b, batch.TotalLength);
            inputs[2] = OrtTensors.CreateInput(batch.PositionIds, b, s);
            outputs[0] = OrtTensors.Create(logits, b, s, VocabSize);
            for (int i = 0; i < Layers; i++)
            {
                inputs[3 + (2 * i)] = OrtTensors.Create(batch.Past.Key(i), kvPast);
                inputs[4 + (2 * i)] = OrtTensors.Create(batch.Past.Value(i), kvPast);
                outputs[1 + (2 * i)] = OrtTensors.Create(present.Key(i), kvPresent);
                outputs[2 + (2 * i)] = OrtTensors.Create(present.Value(i), kvPresent);
            }

            _session.Run(_inputNames, inputs, _outputNames, outputs, cancellationToken);
        }
        finally
        {
            foreach (OrtValue? v in inputs)
            {
                v?.Dispose();
            }

            foreach (OrtValue? v in outputs)
            {
                v?.Dispose();
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();

    private void Check(in DecoderBatch batch, Memory<float> logits, KvCache present)
    {
        KvCache past = batch.Past;
        if (past.Layers != Layers || past.Heads != Heads || past.HeadDim != HeadDim || past.BatchSize != batch.BatchSize)
        {
            throw new ArgumentException(
                $"past cache is {past.BatchSize}x{past.Layers} layers x{past.Heads} heads x{past.HeadDim}, the decoder needs {batch.BatchSize}x{Layers}x{Heads}x{HeadDim}",
                nameof(batch));
        }

        if (present.Layers != Layers || present.Heads != Heads || present.HeadDim != HeadDim
            || present.BatchSize != batch.BatchSize || present.Length != batch.TotalLength)
        {
            throw new ArgumentException($"present cache must hold {batch.BatchSize} rows of {batch.TotalLength} positions", nameof(present));
        }

        Expect(batch.InputsEmbeds.Length, batch.BatchSize * batch.SequenceLength * HiddenSize, DecoderNames.InputsEmbeds);
        Expect(batch.AttentionMask.Length, batch.BatchSize * batch.TotalLength, DecoderNames.AttentionMask);
        Expect(batch.PositionIds.Length, batch.BatchSize * batch.SequenceLength, DecoderNames.PositionIds);
        Expect(logits.Length, batch.BatchSize * batch.SequenceLength * VocabSize, DecoderNames.Logits);
    }

    private static void Expect(int actual, int expected, string name)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"{name} holds {actual} elements, expected {expected}", name);
        }
    }
}
