using System.Buffers;
using System.Text;
using EdgeCloudVlm.Inference.Text;

namespace EdgeCloudVlm.Inference.Generation;

/// <summary>
/// The state of one request: vision, prompt prefill, then one decoder step per token with the KV cache handed from
/// each step's present to the next step's past. Each <see cref="Next"/> call yields one delta; buffers are pooled
/// and sized once per request, so steps allocate only the small wrapper objects.
/// </summary>
internal sealed class GenerationRun : IDisposable
{
    private readonly VlmModel _model;
    private readonly VlmRequest _request;
    private readonly GenerationOptions _options;
    private readonly TimeProvider _time;
    private readonly TokenSampler _sampler;
    private readonly List<int> _ids = [];
    private readonly StringBuilder _text = new();
    private readonly long[] _stepId = new long[1];
    private readonly long[] _stepPosition = new long[1];
    private readonly int _hidden;
    private float[]? _stepEmbeds;
    private long[]? _mask;
    private DecoderOutput? _last;
    private int _lastPosition;
    private int _maxTokens;
    private int _promptTokens;
    private int _emitted;
    private bool _prefilled;
    private bool _finished;
    private FinishReason? _pendingFinish;
    private TimeSpan _vision;
    private TimeSpan _prefill;
    private TimeSpan _decode;

    public GenerationRun(VlmModel model, VlmRequest request, GenerationOptions options, TimeProvider time)
    {
        options.Validate();
        _model = model;
        _request = request;
        _options = options;
        _time = time;
        _sampler = new TokenSampler(options.Sampling);
        _hidden = model.Decoder.HiddenSize;
    }

    /// <summary>The next delta, the final one (with a result) last, then <see langword="null"/>.</summary>
    public GenerationDelta? Next(CancellationToken cancellationToken)
    {
        if (_finished)
        {
            return null;
        }

        if (_pendingFinish is FinishReason pending)
        {
            return Finish(pending);
        }

        try
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return Finish(FinishReason.Cancelled);
            }

            if (!_prefilled)
            {
                Prefill(cancellationToken);
            }
            else
            {
                Step(_ids[^1], cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Finish(FinishReason.Cancelled);
        }

        int id = _sampler.Sample(_last!.GetLogits(0, _lastPosition));
        if (id == _model.Tokenizer.EosId)
        {
            return Finish(FinishReason.Stop);
        }

        _ids.Add(id);
        _model.Tokenizer.AppendToken(_text, id, _ids.Count == 1);
        int stop = StopSequences.IndexOf(_text, _options.StopSequences);
        int safe;
        if (stop >= 0)
        {
            _text.Length = stop;
            safe = stop;
            _pendingFinish = FinishReason.Stop;
        }
        else if (_ids.Count >= _maxTokens)
        {
            safe = _text.Length;
            _pendingFinish = FinishReason.Length;
        }
        else
        {
            safe = _text.Length - StopSequences.HeldBack(_text, _options.StopSequences);
        }

        string delta = safe > _emitted ? _text.ToString(_emitted, safe - _emitted) : "";
        _emitted = Math.Max(_emitted, safe);
        return new GenerationDelta(_ids.Count - 1, id, delta);
    }

    public void Dispose()
    {
        _last?.Dispose();
        _last = null;
        if (_stepEmbeds is not null)
        {
            ArrayPool<float>.Shared.Return(_stepEmbeds);
            _stepEmbeds = null;
        }

        if (_mask is not null)
        {
            ArrayPool<long>.Shared.Return(_mask);
            _mask = null;
        }
    }

    private GenerationDelta Finish(FinishReason reason)
    {
        _finished = true;
        string text = _text.ToString();
        string rest = _emitted < text.Length ? text[_emitted..] : "";
        _emitted = text.Length;
        var result = new GenerationResult
        {
            Text = text,
            TokenIds = _ids.ToArray(),
            FinishReason = reason,
            PromptTokens = _promptTokens,
            CompletionTokens = _ids.Count,
            ImageTokens = _model.Manifest.Vision.Tokens,
            Timings = new GenerationTimings(_vision, _prefill, _decode),
        };
        return new GenerationDelta(_ids.Count, -1, rest) { Result = result };
    }

    private void Prefill(CancellationToken cancellationToken)
    {
        VlmModel m = _model;
        int tokens = m.Manifest.Vision.Tokens;
        TokenizedPrompt prompt = m.Tokenizer.BuildPrompt(_request.Question);
        int length = prompt.ExpandedLength(tokens);
        int maxPositions = m.Decoder.MaxPositions;
        _maxTokens = _options.MaxTokens ?? m.Manifest.Generation.MaxTokens;
        if (maxPositions > 0)
        {
            if (length >= maxPositions)
            {
                throw new ArgumentException($"prompt needs {length} positions, the model has {maxPositions}");
            }

            _maxTokens = Math.Min(_maxTokens, maxPositions - length);
        }

        _promptTokens = length;
        int embedLength = tokens * _hidden;
        float[] image = ArrayPool<float>.Shared.Rent(embedLength);
        long[] ids = ArrayPool<long>.Shared.Rent(prompt.Ids.Length);
        float[] tokenEmbeds = ArrayPool<float>.Shared.Rent(prompt.Ids.Length * _hidden);
        float[] inputs = ArrayPool<float>.Shared.Rent(length * _hidden);
        long[] positions = ArrayPool<long>.Shared.Rent(length);
        try
        {
            long start = _time.GetTimestamp();
            ImageEmbedder.Compute(m, _request, image.AsMemory(0, embedLength), cancellationToken);
            _vision = _time.GetElapsedTime(start);

            start = _time.GetTimestamp();
            for (int i = 0; i < prompt.Ids.Length; i++)
            {
                ids[i] = prompt.Ids[i];
            }

            m.EmbedTokens.Run(ids.AsMemory(0, prompt.Ids.Length), 1, prompt.Ids.Length,
                tokenEmbeds.AsMemory(0, prompt.Ids.Length * _hidden), cancellationToken);

            // Splice: the single placeholder row becomes all image-embedding rows.
            int before = prompt.ImageIndex * _hidden;
            int after = (prompt.Ids.Length - prompt.ImageIndex - 1) * _hidden;
            tokenEmbeds.AsSpan(0, before).CopyTo(inputs);
            image.AsSpan(0, embedLength).CopyTo(inputs.AsSpan(before));
            tokenEmbeds.AsSpan(before + _hidden, after).CopyTo(inputs.AsSpan(before + embedLength));

            _mask = ArrayPool<long>.Shared.Rent(length + _maxTokens);
            _mask.AsSpan(0, length + _maxTokens).Fill(1);
            for (int i = 0; i < length; i++)
            {
                positions[i] = i;
            }

            using (KvCache empty = m.Decoder.CreateEmptyCache(1))
            {
                var batch = new DecoderBatch(1, length, inputs.AsMemory(0, length * _hidden), _mask.AsMemory(0, length),
                    positions.AsMemory(0, length), empty);
                _last = m.Decoder.Run(batch, cancellationToken);
            }

            _lastPosition = length - 1;
            _stepEmbeds = ArrayPool<float>.Shared.Rent(_hidden);
            _prefilled = true;
            _prefill = _time.GetElapsedTime(start);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(image);
            ArrayPool<long>.Shared.Return(ids);
            ArrayPool<float>.Shared.Return(tokenEmbeds);
            ArrayPool<float>.Shared.Return(inputs);
            ArrayPool<long>.Shared.Return(positions);
        }
    }

    private void Step(int token, CancellationToken cancellationToken)
    {
        long start = _time.GetTimestamp();
        _stepId[0] = token;
        Memory<float> embeds = _stepEmbeds.AsMemory(0, _hidden);
        _model.EmbedTokens.Run(_stepId, 1, 1, embeds, cancellationToken);
        KvCache past = _last!.Present;
        int total = past.Length + 1;
        _stepPosition[0] = total - 1;
        var batch = new DecoderBatch(1, 1, embeds, _mask.AsMemory(0, total), _stepPosition, past);
        DecoderOutput next = _model.Decoder.Run(batch, cancellationToken);
        _last.Dispose();
        _last = next;
        _lastPosition = 0;
        _decode += _time.GetElapsedTime(start);
    }
}
