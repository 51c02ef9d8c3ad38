using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Threading.Channels;
using EdgeCloudVlm.Inference.Generation;
using EdgeCloudVlm.Inference.Text;

namespace EdgeCloudVlm.Cloud.Engine;

/// <summary>Why a sequence stopped before its answer was complete.</summary>
internal enum AbortReason
{
    None = 0,
    Cancelled = 1,
    DeadlineExceeded = 2,
    Abandoned = 3,
    EngineStopped = 4,
}

/// <summary>
/// One request inside the engine: its prompt, sampler and answer text, where its KV cache lives, and the channel its
/// deltas travel to the consumer on. Token handling mirrors the single-request <see cref="VlmPipeline"/> step for step
/// (same sampler, same stop-sequence hold-back, same deltas), so a batched answer equals the pipeline's.
/// Only the scheduler thread touches the generation state; the abort flag and the queue state are the only fields
/// other threads write.
/// </summary>
internal sealed class EngineSequence
{
    private const int Queued = 0;
    private const int Active = 1;
    private const int Done = 2;

    private readonly Channel<GenerationDelta> _deltas = Channel.CreateUnbounded<GenerationDelta>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false, AllowSynchronousContinuations = false });

    private readonly GenerationContext _context;
    private readonly TokenSampler _sampler;
    private readonly List<int> _ids = [];
    private readonly StringBuilder _text = new();
    private int _state;
    private int _abort;
    private int _emitted;
    private int _ended;
    private Exception? _failure;

    public EngineSequence(
        GenerationContext context,
        EngineRequest request,
        TokenizedPrompt prompt,
        string contentKey,
        int maxTokens,
        long arrival,
        ActivityContext parent,
        CancellationToken clientToken)
    {
        _context = context;
        Request = request;
        Prompt = prompt;
        ContentKey = contentKey;
        PromptLength = prompt.ExpandedLength(context.ImageTokens);
        MaxTokens = maxTokens;
        Arrival = arrival;
        ClientToken = clientToken;
        Parent = parent;
        _sampler = new TokenSampler(request.Options.Sampling);
    }

    public EngineRequest Request { get; }

    public TokenizedPrompt Prompt { get; }

    /// <summary>Hex of the image's content key: the prefix cache key.</summary>
    public string ContentKey { get; }

    /// <summary>Decoder positions of the prompt, image rows included.</summary>
    public int PromptLength { get; }

    public int MaxTokens { get; }

    /// <summary>Timestamp (of the engine's time provider) when the request arrived.</summary>
    public long Arrival { get; }

    public CancellationToken ClientToken { get; }

    /// <summary>The caller's trace context, the parent of the engine's spans.</summary>
    public ActivityContext Parent { get; }

    /// <summary>The client's cancellation callback, disposed when the consumer stops reading.</summary>
    public CancellationTokenRegistration ClientRegistration { get; set; }

    /// <summary>The deadline timer, disposed when the consumer stops reading.</summary>
    public ITimer? DeadlineTimer { get; set; }

    /// <summary>The image prefix (cached or computed) the prefill reads, with a reference held until it is released.</summary>
    public ImagePrefix? Prefix { get; set; }

    /// <summary>Positions of this sequence in the KV cache.</summary>
    public int CacheLength { get; set; }

    /// <summary>The last sampled token: the input of the next decode step.</summary>
    public int LastToken { get; private set; }

    public int CompletionTokens => _ids.Count;

    public TimeSpan Vision { get; set; }

    public TimeSpan Prefill { get; set; }

    public TimeSpan Decode { get; set; }

    /// <summary>Timestamp of the first sampled token (or of the end, when the answer is empty); null before.</summary>
    public long? FirstTokenAt { get; private set; }

    /// <summary>The span covering this sequence's decode steps, when traced.</summary>
    public Activity? DecodeActivity { get; set; }

    public ChannelReader<GenerationDelta> Reader => _deltas.Reader;

    public AbortReason Abort => (AbortReason)Volatile.Read(ref _abort);

    public bool IsDone => Volatile.Read(ref _state) == Done;

    /// <summary>Records the first abort reason; returns whether the sequence was still queued (and is now done),
    /// in which case the caller must account for the freed queue slot.</summary>
    public bool TryAbort(AbortReason reason, out bool wasQueued)
    {
        wasQueued = false;
        if (Interlocked.CompareExchange(ref _abort, (int)reason, (int)AbortReason.None) != (int)AbortReason.None)
        {
            return false;
        }

        if (Interlocked.CompareExchange(ref _state, Done, Queued) == Queued)
        {
            wasQueued = true;
            _failure = CreateAbortException(reason);
            _deltas.Writer.TryComplete();
        }

        return true;
    }

    /// <summary>Ends a still queued sequence with <paramref name="failure"/>; false when it was no longer queued.</summary>
    public bool TryFailQueued(Exception failure)
    {
        if (Interlocked.CompareExchange(ref _state, Done, Queued) != Queued)
        {
            return false;
        }

        _failure = failure;
        _deltas.Writer.TryComplete();
        return true;
    }

    /// <summary>Moves a queued sequence to the scheduler; false when it was aborted meanwhile.</summary>
    public bool TryActivate() => Interlocked.CompareExchange(ref _state, Active, Queued) == Queued;

    /// <summary>Ends an active sequence with <paramref name="failure"/>, or the exception its abort reason implies.</summary>
    public void Fail(Exception? failure = null)
    {
        if (Interlocked.Exchange(ref _state, Done) == Done)
        {
            return;
        }

        _failure = failure ?? CreateAbortException(Abort);
        _deltas.Writer.TryComplete();
    }

    /// <summary>Throws the exception the stream ended with, if any (on the consumer's side).</summary>
    public void ThrowIfFailed()
    {
        if (Volatile.Read(ref _state) == Done && _failure is { } failure)
        {
            ExceptionDispatchInfo.Capture(failure).Throw();
        }
    }

    /// <summary>Why the answer ended, once <see cref="Accept"/> returned false.</summary>
    public FinishReason? FinishReason { get; private set; }

    /// <summary>
    /// Takes the next token from <paramref name="logits"/> as the pipeline does: end-of-sequence ends the answer without
    /// a token; otherwise the token's delta is written, and a stop sequence or the token limit ends the answer. Returns
    /// whether the sequence needs another decode step; when not, <see cref="Complete"/> sends the result.
    /// </summary>
    public bool Accept(ReadOnlySpan<float> logits, long now)
    {
        int id = _sampler.Sample(logits);
        FirstTokenAt ??= now;
        if (id == _context.EosId)
        {
            FinishReason = Inference.Generation.FinishReason.Stop;
            return false;
        }

        _ids.Add(id);
        LastToken = id;
        _context.Tokenizer.AppendToken(_text, id, _ids.Count == 1);
        IReadOnlyList<string> stops = Request.Options.StopSequences;
        int stop = stops.Count == 0 ? -1 : StopSequences.IndexOf(_text, stops);
        int safe;
        if (stop >= 0)
        {
            _text.Length = stop;
            safe = stop;
            FinishReason = Inference.Generation.FinishReason.Stop;
        }
        else if (_ids.Count >= MaxTokens)
        {
            safe = _text.Length;
            FinishReason = Inference.Generation.FinishReason.Length;
        }
        else
        {
            safe = stops.Count == 0 ? _text.Length : _text.Length - StopSequences.HeldBack(_text, stops);
        }

        string delta = safe > _emitted ? _text.ToString(_emitted, safe - _emitted) : "";
        _emitted = Math.Max(_emitted, safe);
        _deltas.Writer.TryWrite(new GenerationDelta(_ids.Count - 1, id, delta));
        return FinishReason is null;
    }

    /// <summary>Sends the final delta (held-back text and the result) and closes the stream.</summary>
    public void Complete()
    {
        string text = _text.ToString();
        string rest = _emitted < text.Length ? text[_emitted..] : "";
        _emitted = text.Length;
        var result = new GenerationResult
        {
            Text = text,
            TokenIds = _ids.ToArray(),
            FinishReason = FinishReason ?? Inference.Generation.FinishReason.Stop,
            PromptTokens = PromptLength,
            CompletionTokens = _ids.Count,
            ImageTokens = _context.ImageTokens,
            Timings = new GenerationTimings(Vision, Prefill, Decode),
        };
        if (Interlocked.Exchange(ref _state, Done) == Done)
        {
            return;
        }

        _deltas.Writer.TryWrite(new GenerationDelta(_ids.Count, -1, rest) { Result = result });
        _deltas.Writer.TryComplete();
    }

    /// <summary>Claims the one-time bookkeeping of the sequence's end (metrics, spans, slot); false if already claimed.</summary>
    public bool TryEnd() => Interlocked.Exchange(ref _ended, 1) == 0;

    private Exception CreateAbortException(AbortReason reason) => reason switch
    {
        AbortReason.DeadlineExceeded => new EngineDeadlineExceededException(
            $"the request's deadline passed before its answer was complete ({_ids.Count} of at most {MaxTokens} tokens generated)"),
        AbortReason.EngineStopped => new ObjectDisposedException(
            nameof(GenerationEngine), $"the generation engine for model '{_context.ModelId}' stopped before the answer was complete"),
        _ => new OperationCanceledException("the request was cancelled", ClientToken),
    };
}

/// <summary>What every sequence of one engine shares: the model's ids and tokenizer.</summary>
internal sealed record GenerationContext(string ModelId, VlmTokenizer Tokenizer, int EosId, int ImageTokens);
