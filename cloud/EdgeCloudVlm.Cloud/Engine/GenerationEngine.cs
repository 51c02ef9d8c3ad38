using System.Buffers;
using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using EdgeCloudVlm.Inference;
using EdgeCloudVlm.Inference.Generation;
using EdgeCloudVlm.Inference.Manifest;
using EdgeCloudVlm.Inference.Preprocessing;
using EdgeCloudVlm.Inference.Text;
using Microsoft.Extensions.Logging;

namespace EdgeCloudVlm.Cloud.Engine;

/// <summary>
/// One model's continuous-batching engine. Requests wait in a bounded queue; a dedicated scheduler thread admits them
/// between decode steps as far as the KV-cache budget allows, has their vision and prefill run (reusing cached image
/// prefixes), and merges them into the running batch, whose decode step is one decoder call for all sequences.
/// Sequences leave the batch independently when they finish, are cancelled or pass their deadline.
/// </summary>
public sealed partial class GenerationEngine : IGenerationEngine, IAsyncDisposable
{
    // Timers longer than this are not needed (a day is the longest default deadline) and TimeProvider rejects huge ones.
    private static readonly TimeSpan LongestTimer = TimeSpan.FromDays(7);

    private readonly VlmModel _model;
    private readonly EngineOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<GenerationEngine> _logger;
    private readonly KvCacheBudget _budget;
    private readonly GenerationContext _context;
    private readonly ImagePrefixCache _prefixCache;
    private readonly ImageStage _images;
    private readonly EngineMetrics _metrics;
    private readonly ConcurrentQueue<EngineSequence> _incoming = new();
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _scheduler;
    private readonly int _imageTokens;
    private readonly int _prefixLength;
    private int _queued;
    private int _active;
    private int _stopping;
    private double _serviceSeconds = 1;

    /// <summary>Starts the engine's scheduler for <paramref name="model"/>.</summary>
    /// <exception cref="ArgumentException">The options are invalid or the KV budget does not hold one sequence.</exception>
    public GenerationEngine(string modelId, VlmModel model, EngineOptions options, TimeProvider timeProvider, ILogger<GenerationEngine> logger)
        : this(modelId, model, options, timeProvider, logger, null)
    {
    }

    /// <summary>Starts the engine's scheduler, creating its meter through <paramref name="meterFactory"/> (a meter of its
    /// own when <see langword="null"/>).</summary>
    /// <exception cref="ArgumentException">The options are invalid or the KV budget does not hold one sequence.</exception>
    public GenerationEngine(
        string modelId,
        VlmModel model,
        EngineOptions options,
        TimeProvider timeProvider,
        ILogger<GenerationEngine> logger,
        IMeterFactory? meterFactory)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        var problems = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), problems, validateAllProperties: true))
        {
            throw new ArgumentException(
                $"invalid {EngineOptions.SectionName} options: {string.Join("; ", problems.Select(p => p.ErrorMessage))}", nameof(options));
        }

        ModelId = modelId;
        Model = model;
        _model = model;
        _options = options;
        _time = timeProvider;
        _logger = logger;
        _budget = KvCacheBudget.For(model.Manifest.LanguageModel, options);
        _ = model.Decoder;
        _ = model.EmbedTokens;
        _ = model.VisionCloud;
        _imageTokens = model.Manifest.Vision.Tokens;
        VlmTokenizer tokenizer = model.Tokenizer;
        _context = new GenerationContext(modelId, tokenizer, tokenizer.EosId, _imageTokens);

        // The KV cache of everything up to the image rows is the same for every question when the template puts the
        // image before the question; otherwise only the image embeddings can be shared.
        TokenizedPrompt probe = tokenizer.Template.Build([]);
        _prefixLength = probe.ImageIndex < tokenizer.Template.Prefix.Length ? probe.ImageIndex + _imageTokens : 0;
        _prefixCache = new ImagePrefixCache((long)options.PrefixCacheMiB * 1024 * 1024);
        Counters = new EngineCounters(timeProvider.TimestampFrequency);
        _metrics = new EngineMetrics(meterFactory, modelId, () => Status);
        _prefill = new PrefillRunner(model);
        _batch = new DecodeBatch(model, _budget.MaxSequenceTokens, timeProvider, Counters);
        int imageWorkers = options.ImageWorkersFor(Environment.ProcessorCount);
        int prefillWorkers = options.PrefillWorkersFor(Environment.ProcessorCount);
        _images = new ImageStage(model, _prefill, _prefixCache, _prefixLength, imageWorkers, options.MaxImageBatch, Counters, timeProvider, logger, modelId, Schedule, FailQueued);
        LogStarted(_logger, modelId, _budget.MaxSequences, _budget.MaxSequenceTokens, _budget.BytesPerSequence / (1024.0 * 1024.0),
            options.KvCacheMemoryMiB, options.MaxQueuedRequests, _prefixLength > 0 ? "image prefix KV cache" : "image embeddings", imageWorkers, prefillWorkers);
        StartPrefillWorkers(prefillWorkers);
        _scheduler = Task.Factory.StartNew(RunScheduler, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <inheritdoc />
    public string ModelId { get; }

    /// <inheritdoc />
    public VlmModel Model { get; }

    /// <inheritdoc />
    public EngineStatus Status => new(
        Volatile.Read(ref _queued), Volatile.Read(ref _active), _budget.MaxSequences, _options.MaxQueuedRequests);

    /// <summary>The KV-cache arithmetic behind <see cref="EngineStatus.MaxActiveSequences"/>.</summary>
    public KvCacheBudget Budget => _budget;

    /// <summary>Where the scheduler's time went (for benchmarks and diagnostics).</summary>
    internal EngineCounters Counters { get; }

    /// <summary>Requests whose image prefix is ready and which the scheduler has not picked up yet (for diagnostics and
    /// tests).</summary>
    internal int ReadyCount => _incoming.Count;

    /// <summary>Image passes waiting for an image worker.</summary>
    internal int QueuedImages => _images.Queued;

    /// <summary>Cached image prefixes (for diagnostics and tests).</summary>
    internal ImagePrefixCache PrefixCache => _prefixCache;

    /// <inheritdoc />
    public async IAsyncEnumerable<GenerationDelta> GenerateAsync(
        EngineRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        EngineSequence sequence;
        try
        {
            sequence = Admit(request, cancellationToken);
        }
        catch (Exception ex) when (ex is ArgumentException or ImageRejectedException)
        {
            _metrics.Request(EngineMetrics.Outcomes.Invalid);
            throw;
        }

        try
        {
            var reader = sequence.Reader;
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (reader.TryRead(out GenerationDelta? delta))
                {
                    yield return delta;
                }
            }

            sequence.ThrowIfFailed();
        }
        finally
        {
            sequence.ClientRegistration.Dispose();
            sequence.DeadlineTimer?.Dispose();
            if (!sequence.IsDone)
            {
                Abort(sequence, cancellationToken.IsCancellationRequested ? AbortReason.Cancelled : AbortReason.Abandoned);
            }
        }
    }

    /// <summary>Stops the scheduler; queued and running requests end with <see cref="ObjectDisposedException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopping, 1) != 0)
        {
            return;
        }

        _images.Dispose();
        await _stop.CancelAsync().ConfigureAwait(false);
        _wake.Set();
        await _scheduler.ConfigureAwait(false);
        _prefillSignal.Dispose();
        _batch.Dispose();
        _prefixCache.Dispose();
        _metrics.Dispose();
        _stop.Dispose();
        LogStopped(_logger, ModelId);
    }

    /// <summary>Validates, reserves a queue slot, and finds the image prefix: cached (the request goes straight to the
    /// scheduler), under way for another request (it waits for that pass), or new (the image is decoded on the
    /// caller's thread and its pass queued on the image stage).</summary>
    private EngineSequence Admit(EngineRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Image);
        ArgumentNullException.ThrowIfNull(request.Question);
        ArgumentNullException.ThrowIfNull(request.Options);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _stopping) != 0, this);
        request.Options.Validate();
        cancellationToken.ThrowIfCancellationRequested();

        long arrival = _time.GetTimestamp();
        DateTimeOffset now = _time.GetUtcNow();
        DateTimeOffset deadline = request.Deadline ?? now + _options.DefaultDeadline;
        if (deadline <= now)
        {
            _metrics.Request(EngineMetrics.Outcomes.DeadlineExceeded);
            throw new EngineDeadlineExceededException("the request's deadline had already passed when it arrived");
        }

        TokenizedPrompt prompt = _model.Tokenizer.BuildPrompt(request.Question);
        int length = prompt.ExpandedLength(_imageTokens);
        if (length >= _budget.MaxSequenceTokens)
        {
            throw new ArgumentException(
                $"the prompt needs {length} positions (image included); this engine allows {_budget.MaxSequenceTokens} per sequence, prompt and answer together",
                nameof(request));
        }

        CheckImage(request.Image);
        int maxTokens = Math.Min(request.Options.MaxTokens ?? _model.Manifest.Generation.MaxTokens, _budget.MaxSequenceTokens - length);
        if (Interlocked.Increment(ref _queued) > _options.MaxQueuedRequests)
        {
            Interlocked.Decrement(ref _queued);
            _metrics.Request(EngineMetrics.Outcomes.Rejected);
            TimeSpan retry = RetryAfter();
            throw new EngineOverloadedException(
                $"model '{ModelId}' is at capacity: {_options.MaxQueuedRequests} requests are already waiting; retry after {retry.TotalSeconds:F0} s",
                retry);
        }

        string key = Convert.ToHexString(request.Image.ContentKey.Span);
        ActivityContext parent = Activity.Current?.Context ?? default;
        var sequence = new EngineSequence(_context, request, prompt, key, maxTokens, arrival, parent, cancellationToken);
        PrefixLookup lookup = _images.Resolve(sequence);
        float[]? pixels = null;
        if (lookup == PrefixLookup.Created && request.Image.Source == VlmImageSource.EncodedImage)
        {
            try
            {
                pixels = Preprocess(sequence);
            }
            catch (Exception ex)
            {
                _images.Abandon(sequence, ex);
                Interlocked.Decrement(ref _queued);
                throw;
            }
        }

        if (lookup == PrefixLookup.Created)
        {
            _metrics.PrefixMiss();
            Counters.AddPrefixMiss();
        }
        else
        {
            _metrics.PrefixHit();
            Counters.AddPrefixHit();
        }

        sequence.ClientRegistration = cancellationToken.UnsafeRegister(
            static state => ((Registration)state!).Abort(AbortReason.Cancelled), new Registration(this, sequence));
        TimeSpan due = deadline - now;
        sequence.DeadlineTimer = _time.CreateTimer(
            static state => ((Registration)state!).Abort(AbortReason.DeadlineExceeded),
            new Registration(this, sequence),
            due < LongestTimer ? due : LongestTimer,
            Timeout.InfiniteTimeSpan);
        switch (lookup)
        {
            case PrefixLookup.Cached:
                Schedule(sequence);
                break;
            case PrefixLookup.Created:
                _images.Submit(sequence, pixels);
                break;
        }

        // The scheduler drains its queue once more after it stops; this covers a request that arrived after that.
        if (Volatile.Read(ref _stopping) != 0)
        {
            Abort(sequence, AbortReason.EngineStopped);
        }

        return sequence;
    }

    /// <summary>Hands a sequence whose image prefix is ready to the scheduler.</summary>
    private void Schedule(EngineSequence sequence)
    {
        _incoming.Enqueue(sequence);
        _wake.Set();
    }

    /// <summary>Ends a sequence whose image pass failed while it was still queued.</summary>
    private void FailQueued(EngineSequence sequence, Exception failure)
    {
        if (sequence.TryFailQueued(failure))
        {
            Interlocked.Decrement(ref _queued);
            _metrics.Request(failure is ObjectDisposedException ? EngineMetrics.Outcomes.Stopped : EngineMetrics.Outcomes.Failed);
        }
    }

    private void CheckImage(EngineImage image)
    {
        switch (image.Source)
        {
            case VlmImageSource.EncodedImage:
                if (!_model.HasPart(ModelPartNames.VisionEdge))
                {
                    throw new ArgumentException(
                        $"model '{ModelId}' was loaded without {ModelPartNames.VisionEdge}: it accepts split hidden states, not images", nameof(image));
                }

                break;
            case VlmImageSource.HiddenState:
                if (image.Tensor.Length != _model.VisionCloud.HiddenStateLength)
                {
                    throw new ArgumentException(
                        $"the hidden state holds {image.Tensor.Length} floats; model '{ModelId}' needs {_model.VisionCloud.Tokens} x {_model.VisionCloud.HiddenDim}",
                        nameof(image));
                }

                break;
            default:
                throw new ArgumentException($"unsupported image source {image.Source}", nameof(image));
        }
    }

    /// <summary>Decodes and normalizes the image on the caller's thread, beside the engine's own threads.</summary>
    private float[] Preprocess(EngineSequence sequence)
    {
        long start = _time.GetTimestamp();
        int length = _model.Preprocessor.TensorLength;
        float[] pixels = ArrayPool<float>.Shared.Rent(length);
        try
        {
            _model.Preprocessor.Preprocess(sequence.Request.Image.EncodedImage.Span, pixels.AsSpan(0, length));
        }
        catch
        {
            ArrayPool<float>.Shared.Return(pixels);
            throw;
        }

        sequence.Vision += _time.GetElapsedTime(start);
        return pixels;
    }

    private void Abort(EngineSequence sequence, AbortReason reason)
    {
        if (!sequence.TryAbort(reason, out bool wasQueued))
        {
            return;
        }

        if (wasQueued)
        {
            Interlocked.Decrement(ref _queued);
            _metrics.Request(Outcome(reason));
        }

        // An active sequence leaves the batch at the scheduler's next step boundary.
        if (Volatile.Read(ref _stopping) == 0)
        {
            _wake.Set();
        }
    }

    private TimeSpan RetryAfter()
    {
        double rounds = Math.Ceiling((Volatile.Read(ref _queued) + 1.0) / _budget.MaxSequences);
        double seconds = Math.Clamp(Volatile.Read(ref _serviceSeconds) * rounds, 1, 60);
        return TimeSpan.FromSeconds(Math.Ceiling(seconds));
    }

    private static string Outcome(AbortReason reason) => reason switch
    {
        AbortReason.DeadlineExceeded => EngineMetrics.Outcomes.DeadlineExceeded,
        AbortReason.EngineStopped => EngineMetrics.Outcomes.Stopped,
        _ => EngineMetrics.Outcomes.Cancelled,
    };

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Engine for {Model} started: {MaxSequences} sequences of {MaxTokens} positions ({MiBPerSequence:F2} MiB each) in {BudgetMiB} MiB, queue {MaxQueued}, prefix cache keeps {PrefixKind}, {ImageWorkers} image workers, {PrefillWorkers} prefill workers")]
    private static partial void LogStarted(ILogger logger, string model, int maxSequences, int maxTokens, double miBPerSequence, int budgetMiB, int maxQueued, string prefixKind, int imageWorkers, int prefillWorkers);

    [LoggerMessage(Level = LogLevel.Information, Message = "Engine for {Model} stopped")]
    private static partial void LogStopped(ILogger logger, string model);

    /// <summary>Callback state: which engine and sequence a cancellation or deadline belongs to.</summary>
    private sealed class Registration(GenerationEngine engine, EngineSequence sequence)
    {
        public void Abort(AbortReason reason) => engine.Abort(sequence, reason);
    }
}
