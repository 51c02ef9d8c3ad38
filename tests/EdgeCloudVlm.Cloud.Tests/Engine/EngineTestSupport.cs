using System.Collections.Concurrent;
using System.Diagnostics;
using EdgeCloudVlm.Cloud.Engine;
using EdgeCloudVlm.Inference;
using EdgeCloudVlm.Inference.Evaluation;
using EdgeCloudVlm.Inference.Generation;
using EdgeCloudVlm.Inference.Runtime;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeCloudVlm.Cloud.Tests.Engine;

/// <summary>The demo model loaded once on CPU, its evaluation set, and the single-request pipeline as the reference.</summary>
public sealed class EngineModelFixture : IDisposable
{
    public EngineModelFixture()
    {
        Folder = RepositoryLayout.RequireDemoModel();
        Model = VlmModel.Load(Folder, new VlmModelOptions
        {
            Session = new OnnxSessionOptions { Provider = ExecutionProvider.Cpu, IntraOpThreads = 1 },
        });
        Pipeline = new VlmPipeline(Model);
        Eval = EvalSet.Load(Folder);
    }

    public string Folder { get; }

    public VlmModel Model { get; }

    public VlmPipeline Pipeline { get; }

    public EvalSet Eval { get; }

    /// <summary>The first question of each of the first <paramref name="count"/> distinct images.</summary>
    public IReadOnlyList<EvalItem> DistinctImages(int count, int skip = 0) =>
        Eval.Items.GroupBy(i => i.Image).Skip(skip).Take(count).Select(g => g.First()).ToArray();

    /// <summary>One question about each of <paramref name="count"/> distinct images, cycling through the questions of
    /// each image so prompt lengths and answer lengths (captions run longest) are mixed.</summary>
    public IReadOnlyList<EvalItem> MixedQuestions(int count, int skip = 0) =>
        Eval.Items.GroupBy(i => i.Image).Skip(skip).Take(count).Select((g, n) => g.ElementAt(n % g.Count())).ToArray();

    /// <summary>Caption questions (the longest answers) about distinct images, phrased with different numbers of tokens
    /// so their prompts differ in length and their rows stay padded in a batch for many steps.</summary>
    public IReadOnlyList<EvalItem> CaptionsOfMixedLengths(int count, int skip = 0)
    {
        string[] phrasings =
        [
            "describe the image", "describe the image.", "describe the image. ,", "describe the shapes in the image.",
            "describe the image. describe the image.",
        ];
        return Eval.Items.Where(i => i.Template == "caption").Skip(skip).Take(count)
            .Select((item, n) => item with { Question = phrasings[n % phrasings.Length] }).ToArray();
    }

    /// <summary>All questions about one image.</summary>
    public IReadOnlyList<EvalItem> QuestionsAbout(int imageIndex) =>
        Eval.Items.GroupBy(i => i.Image).ElementAt(imageIndex).ToArray();

    public byte[] ImageBytes(EvalItem item) => File.ReadAllBytes(Eval.ImagePath(item));

    public EngineRequest Request(EvalItem item, GenerationOptions? options = null) =>
        new(EngineImage.FromEncoded(ImageBytes(item)), item.Question, options ?? new GenerationOptions());

    /// <summary>The answer of the single-request pipeline, the reference every engine answer must equal.</summary>
    public GenerationResult Reference(EvalItem item, GenerationOptions? options = null) =>
        Pipeline.Generate(VlmRequest.FromEncodedImage(ImageBytes(item), item.Question), options);

    public GenerationEngine CreateEngine(EngineOptions? options = null, TimeProvider? time = null, string modelId = "shapes-vqa") =>
        new(modelId, Model, options ?? new EngineOptions { KvCacheMemoryMiB = 64, MaxSequenceTokens = 128 },
            time ?? TimeProvider.System, NullLogger<GenerationEngine>.Instance);

    public void Dispose() => Model.Dispose();
}

/// <summary>Engine tests share the loaded model and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class EngineModelCollection : ICollectionFixture<EngineModelFixture>
{
    public const string Name = "engine demo model";
}

/// <summary>A request's stream, read to the end.</summary>
public sealed record StreamedAnswer(IReadOnlyList<GenerationDelta> Deltas)
{
    public GenerationResult Result => Deltas[^1].Result ?? throw new InvalidOperationException("the stream ended without a result");

    public string StreamedText => string.Concat(Deltas.Select(d => d.Text));
}

/// <summary>Starting requests so that their admission (validation, queueing) has happened when the call returns.</summary>
public static class EngineRequests
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>Starts <paramref name="request"/>: the first step of the stream runs here, synchronously, so the request
    /// is queued (or refused) on return; the task reads the rest.</summary>
    public static Task<StreamedAnswer> Start(IGenerationEngine engine, EngineRequest request, CancellationToken cancellationToken = default)
    {
        IAsyncEnumerator<GenerationDelta> stream = engine.GenerateAsync(request, cancellationToken).GetAsyncEnumerator(cancellationToken);
        ValueTask<bool> first = stream.MoveNextAsync();
        return ReadAsync(stream, first);
    }

    /// <summary>Starts <paramref name="request"/> inside a new trace, whose id the engine's spans then carry;
    /// <paramref name="onTrace"/> learns the id before the engine sees the request.</summary>
    public static Task<StreamedAnswer> StartTraced(
        IGenerationEngine engine, EngineRequest request, Action<ActivityTraceId> onTrace, CancellationToken cancellationToken = default)
    {
        Activity? previous = Activity.Current;
        var parent = new Activity("engine-test-request");
        parent.SetIdFormat(ActivityIdFormat.W3C);
        parent.Start();
        try
        {
            onTrace(parent.TraceId);
            return Start(engine, request, cancellationToken);
        }
        finally
        {
            parent.Stop();
            Activity.Current = previous;
        }
    }

    private static async Task<StreamedAnswer> ReadAsync(IAsyncEnumerator<GenerationDelta> stream, ValueTask<bool> first)
    {
        await using (stream.ConfigureAwait(false))
        {
            var deltas = new List<GenerationDelta>();
            bool more = await first.ConfigureAwait(false);
            while (more)
            {
                deltas.Add(stream.Current);
                more = await stream.MoveNextAsync().ConfigureAwait(false);
            }

            return new StreamedAnswer(deltas);
        }
    }
}

/// <summary>
/// Holds the engine's scheduler thread inside the start of one span of one traced request (span listeners run
/// synchronously on the thread that starts the span) until <see cref="Release"/>, so a test can arrange the queue
/// while the scheduler is known to be busy. Records the spans of that trace.
/// </summary>
public sealed class SchedulerGate : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly ManualResetEventSlim _release = new(false);
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _spanName;
    private ActivityTraceId _trace;

    public SchedulerGate(string spanName)
    {
        _spanName = spanName;
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == CloudTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
                options.TraceId == _trace ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.None,
            ActivityStarted = OnStarted,
            ActivityStopped = activity =>
            {
                if (activity.TraceId == _trace)
                {
                    Stopped.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>Completes when the scheduler is held.</summary>
    public Task Entered => _entered.Task;

    /// <summary>Spans of the traced request that ended.</summary>
    public ConcurrentQueue<Activity> Stopped { get; } = new();

    /// <summary>Starts <paramref name="request"/> as the request whose span holds the scheduler.</summary>
    public Task<StreamedAnswer> Start(IGenerationEngine engine, EngineRequest request, CancellationToken cancellationToken = default) =>
        EngineRequests.StartTraced(engine, request, trace => _trace = trace, cancellationToken);

    /// <summary>A trace to call the engine in by hand: requests started before disposing it belong to the gate.</summary>
    public IDisposable BeginTrace()
    {
        Activity? previous = Activity.Current;
        var parent = new Activity("engine-test-request");
        parent.SetIdFormat(ActivityIdFormat.W3C);
        parent.Start();
        _trace = parent.TraceId;
        return new TraceScope(parent, previous);
    }

    public void Release() => _release.Set();

    /// <summary>
    /// Holds the scheduler at <paramref name="blocker"/>'s span, starts <paramref name="requests"/>, waits until all
    /// of them have their image prefixes and wait for the scheduler, then lets it go: they are admitted together.
    /// </summary>
    public async Task<(Task<StreamedAnswer> Blocker, Task<StreamedAnswer>[] Answers)> StartTogether(
        GenerationEngine engine, EngineRequest blocker, IEnumerable<EngineRequest> requests)
    {
        Task<StreamedAnswer> held = Start(engine, blocker);
        await Entered.WaitAsync(EngineRequests.Patience);
        Task<StreamedAnswer>[] answers = requests.Select(r => EngineRequests.Start(engine, r)).ToArray();
        Assert.True(
            SpinWait.SpinUntil(() => engine.ReadyCount == answers.Length, EngineRequests.Patience),
            $"{engine.ReadyCount} of {answers.Length} requests reached the scheduler");
        Release();
        return (held, answers);
    }

    public void Dispose()
    {
        _release.Set();
        _listener.Dispose();
        _release.Dispose();
    }

    private sealed class TraceScope(Activity parent, Activity? previous) : IDisposable
    {
        public void Dispose()
        {
            parent.Stop();
            Activity.Current = previous;
        }
    }

    private void OnStarted(Activity activity)
    {
        if (activity.TraceId == _trace && activity.OperationName == _spanName && _entered.TrySetResult())
        {
            _release.Wait(EngineRequests.Patience);
        }
    }
}
