using System.Diagnostics;
using EdgeCloudVlm.Cloud.Engine;
using EdgeCloudVlm.Inference.Evaluation;
using EdgeCloudVlm.Inference.Generation;
using EdgeCloudVlm.Inference.Preprocessing;
using Microsoft.Extensions.Time.Testing;

namespace EdgeCloudVlm.Cloud.Tests.Engine;

/// <summary>The engine against the real demo model, with the single-request pipeline as the reference.</summary>
[Collection(EngineModelCollection.Name)]
public sealed class GenerationEngineTests(EngineModelFixture fixture)
{
    private static readonly TimeSpan Patience = EngineRequests.Patience;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public async Task GenerateAsync_SixteenConcurrentRequests_AnswersEqualPipeline(int prefillWorkers)
    {
        IReadOnlyList<EvalItem> items = fixture.MixedQuestions(16);
        GenerationResult[] expected = items.Select(i => fixture.Reference(i)).ToArray();
        await using GenerationEngine engine = fixture.CreateEngine(
            new EngineOptions { KvCacheMemoryMiB = 64, MaxSequenceTokens = 128, PrefillWorkers = prefillWorkers });
        using var gate = new SchedulerGate("decode");

        // The scheduler is held by another request until all sixteen wait for it, so they are admitted together.
        (Task<StreamedAnswer> blocker, Task<StreamedAnswer>[] answers) = await gate.StartTogether(
            engine, fixture.Request(fixture.DistinctImages(1, skip: 16)[0]), items.Select(i => fixture.Request(i)));
        StreamedAnswer[] results = await Task.WhenAll(answers).WaitAsync(Patience);
        await blocker.WaitAsync(Patience);

        for (int i = 0; i < items.Count; i++)
        {
            Assert.Equal(expected[i].TokenIds, results[i].Result.TokenIds);
            Assert.Equal(expected[i].Text, results[i].Result.Text);
            Assert.Equal(expected[i].FinishReason, results[i].Result.FinishReason);
            Assert.Equal(expected[i].PromptTokens, results[i].Result.PromptTokens);
            Assert.Equal(results[i].Result.Text, results[i].StreamedText);
        }

        EngineCountersSnapshot counters = engine.Counters.Snapshot();
        Assert.True(counters.DecodeRows > counters.DecodeSteps, $"{counters.DecodeRows} rows in {counters.DecodeSteps} steps: no step was batched");
        Assert.Equal(new EngineStatus(0, 0, engine.Budget.MaxSequences, 64), engine.Status);
        Assert.True(engine.Budget.MaxSequences >= 17);
    }

    [Fact]
    public async Task GenerateAsync_LongAnswersOfDifferentPromptLengths_AnswersEqualPipeline()
    {
        IReadOnlyList<EvalItem> items = fixture.CaptionsOfMixedLengths(10);
        GenerationResult[] expected = items.Select(i => fixture.Reference(i)).ToArray();
        Assert.True(expected.Count(r => r.CompletionTokens > 3) >= 5, "too few long answers to keep rows side by side");
        await using GenerationEngine engine = fixture.CreateEngine();
        using var gate = new SchedulerGate("decode");

        (Task<StreamedAnswer> blocker, Task<StreamedAnswer>[] answers) = await gate.StartTogether(
            engine, fixture.Request(fixture.DistinctImages(1, skip: 200)[0]), items.Select(i => fixture.Request(i)));
        StreamedAnswer[] results = await Task.WhenAll(answers).WaitAsync(Patience);
        await blocker.WaitAsync(Patience);

        for (int i = 0; i < items.Count; i++)
        {
            Assert.Equal(expected[i].TokenIds, results[i].Result.TokenIds);
            Assert.Equal(expected[i].Text, results[i].StreamedText);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task GenerateAsync_RequestsJoiningWhileOthersDecode_AnswersEqualPipeline(int prefillWorkers)
    {
        IReadOnlyList<EvalItem> items = [.. fixture.MixedQuestions(20, skip: 140), .. fixture.CaptionsOfMixedLengths(20, skip: 30)];
        GenerationResult[] expected = items.Select(i => fixture.Reference(i)).ToArray();
        await using GenerationEngine engine = fixture.CreateEngine(
            new EngineOptions { KvCacheMemoryMiB = 64, MaxSequenceTokens = 128, PrefillWorkers = prefillWorkers });
        var results = new StreamedAnswer[items.Count];

        // Eight clients, each sending its next request as soon as its previous answer is complete.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async client =>
        {
            for (int i = client; i < items.Count; i += 8)
            {
                results[i] = await EngineRequests.Start(engine, fixture.Request(items[i])).ConfigureAwait(false);
            }
        })).WaitAsync(Patience);

        for (int i = 0; i < items.Count; i++)
        {
            Assert.Equal(expected[i].TokenIds, results[i].Result.TokenIds);
            Assert.Equal(results[i].Result.Text, results[i].StreamedText);
        }
    }

    [Fact]
    public async Task GenerateAsync_SeededSampling_SameTokensBatchedAndAlone()
    {
        // Long answers to prompts of different lengths: rows decode side by side, padded, for many steps.
        IReadOnlyList<EvalItem> items = fixture.CaptionsOfMixedLengths(6, skip: 10);
        GenerationOptions Sampled(int seed) => new()
        {
            MaxTokens = 12,
            Sampling = new SamplingOptions { Temperature = 1.2f, TopP = 0.98f, Seed = seed },
        };
        GenerationResult[] alone = items.Select((item, i) => fixture.Reference(item, Sampled(4242 + i))).ToArray();
        Assert.True(alone.Count(r => r.CompletionTokens > 3) >= 2, "too few long answers to keep rows side by side");
        await using GenerationEngine engine = fixture.CreateEngine();
        using var gate = new SchedulerGate("decode");

        (Task<StreamedAnswer> blocker, Task<StreamedAnswer>[] batched) = await gate.StartTogether(
            engine, fixture.Request(fixture.DistinctImages(1, skip: 30)[0]), items.Select((item, i) => fixture.Request(item, Sampled(4242 + i))));
        StreamedAnswer[] results = await Task.WhenAll(batched).WaitAsync(Patience);
        await blocker.WaitAsync(Patience);

        for (int i = 0; i < items.Count; i++)
        {
            Assert.Equal(alone[i].TokenIds, results[i].Result.TokenIds);
            Assert.Equal(alone[i].FinishReason, results[i].Result.FinishReason);
        }
    }

    [Fact]
    public async Task GenerateAsync_MixedLimitsAndStopSequencesInOneBatch_EachEqualsPipeline()
    {
        EvalItem caption = fixture.Eval.Items.First(i => i.Template == "caption");
        GenerationResult full = fixture.Reference(caption);
        Assert.True(full.TokenIds.Count >= 3, $"the caption answer '{full.Text}' is too short to cut");
        string[] words = full.Text.Split(' ');
        IReadOnlyList<EvalItem> others = fixture.DistinctImages(2, skip: 30);
        (EvalItem Item, GenerationOptions Options)[] cases =
        [
            (caption, new GenerationOptions()),
            (caption, new GenerationOptions { MaxTokens = 1 }),
            (caption, new GenerationOptions { MaxTokens = 2 }),
            (caption, new GenerationOptions { StopSequences = [" " + words[1]] }),
            (caption, new GenerationOptions { StopSequences = [words[^1][..1], "zzz"], MaxTokens = 6 }),
            (others[0], new GenerationOptions { MaxTokens = 1 }),
            (others[1], new GenerationOptions()),
        ];
        GenerationResult[] expected = cases.Select(c => fixture.Reference(c.Item, c.Options)).ToArray();
        await using GenerationEngine engine = fixture.CreateEngine();
        using var gate = new SchedulerGate("decode");

        (Task<StreamedAnswer> blocker, Task<StreamedAnswer>[] answers) = await gate.StartTogether(
            engine, fixture.Request(fixture.DistinctImages(1, skip: 40)[0]), cases.Select(c => fixture.Request(c.Item, c.Options)));
        StreamedAnswer[] results = await Task.WhenAll(answers).WaitAsync(Patience);
        await blocker.WaitAsync(Patience);

        for (int i = 0; i < cases.Length; i++)
        {
            Assert.Equal(expected[i].Text, results[i].Result.Text);
            Assert.Equal(expected[i].TokenIds, results[i].Result.TokenIds);
            Assert.Equal(expected[i].FinishReason, results[i].Result.FinishReason);
            Assert.Equal(results[i].Result.Text, results[i].StreamedText);
        }

        Assert.Equal(FinishReason.Length, results[1].Result.FinishReason);
        Assert.Single(results[1].Result.TokenIds);
        Assert.Equal(FinishReason.Stop, results[3].Result.FinishReason);
        Assert.Equal(words[0], results[3].Result.Text);
    }

    [Fact]
    public async Task GenerateAsync_SecondQuestionAboutSameImage_HitsPrefixCacheAndEqualsPipeline()
    {
        IReadOnlyList<EvalItem> questions = fixture.QuestionsAbout(50);
        Assert.True(questions.Count >= 2);
        byte[] image = fixture.ImageBytes(questions[0]);
        await using GenerationEngine engine = fixture.CreateEngine();

        var results = new List<GenerationResult>();
        foreach (EvalItem question in questions)
        {
            var request = new EngineRequest(EngineImage.FromEncoded(image), question.Question, new GenerationOptions());
            results.Add((await EngineRequests.Start(engine, request).WaitAsync(Patience)).Result);
        }

        for (int i = 0; i < questions.Count; i++)
        {
            GenerationResult expected = fixture.Reference(questions[i]);
            Assert.Equal(expected.Text, results[i].Text);
            Assert.Equal(expected.TokenIds, results[i].TokenIds);
        }

        EngineCountersSnapshot counters = engine.Counters.Snapshot();
        Assert.Equal(1, counters.PrefixMisses);
        Assert.Equal(questions.Count - 1, counters.PrefixHits);
        Assert.Equal(1, engine.PrefixCache.Count);
        Assert.True(results[0].Timings.Vision > TimeSpan.Zero);
        Assert.Equal(TimeSpan.Zero, results[1].Timings.Vision);
    }

    [Fact]
    public async Task GenerateAsync_SameImageQueuedTogether_OneVisionPass()
    {
        IReadOnlyList<EvalItem> questions = fixture.QuestionsAbout(60);
        await using GenerationEngine engine = fixture.CreateEngine();
        using var gate = new SchedulerGate("decode");

        (Task<StreamedAnswer> blocker, Task<StreamedAnswer>[] answers) = await gate.StartTogether(
            engine, fixture.Request(fixture.DistinctImages(1, skip: 61)[0]), questions.Select(q => fixture.Request(q)));
        StreamedAnswer[] results = await Task.WhenAll(answers).WaitAsync(Patience);
        await blocker.WaitAsync(Patience);

        for (int i = 0; i < questions.Count; i++)
        {
            Assert.Equal(fixture.Reference(questions[i]).TokenIds, results[i].Result.TokenIds);
        }

        EngineCountersSnapshot counters = engine.Counters.Snapshot();
        Assert.Equal(2, counters.PrefixMisses);
        Assert.Equal(questions.Count - 1, counters.PrefixHits);
    }

    [Fact]
    public async Task GenerateAsync_ImagesQueuedTogether_OneBatchedPassAnswersEqualPipeline()
    {
        IReadOnlyList<EvalItem> items = fixture.DistinctImages(6, skip: 100);
        GenerationResult[] expected = items.Select(i => fixture.Reference(i)).ToArray();
        EvalItem blockerItem = fixture.DistinctImages(1, skip: 110)[0];
        await using GenerationEngine engine = fixture.CreateEngine(new EngineOptions { KvCacheMemoryMiB = 64, MaxSequenceTokens = 128, MaxImageBatch = 8 });
        using var gate = new SchedulerGate("vision");

        // The image worker is held inside the blocker's vision pass while six other images queue behind it; five
        // arrive as encoded images and one as the hidden state the edge would send, so both entry points share a pass.
        Task<StreamedAnswer> blocker = gate.Start(engine, fixture.Request(blockerItem));
        await gate.Entered.WaitAsync(Patience);
        Task<StreamedAnswer>[] answers = [.. items.Take(5).Select(i => EngineRequests.Start(engine, fixture.Request(i))),
            EngineRequests.Start(engine, new EngineRequest(EngineImage.FromHiddenState(HiddenState(items[5]), [6, 6]), items[5].Question, new GenerationOptions()))];
        Assert.True(SpinWait.SpinUntil(() => engine.QueuedImages == items.Count, Patience), $"{engine.QueuedImages} images queued");
        gate.Release();
        StreamedAnswer[] results = await Task.WhenAll(answers).WaitAsync(Patience);
        await blocker.WaitAsync(Patience);

        for (int i = 0; i < items.Count; i++)
        {
            Assert.Equal(expected[i].TokenIds, results[i].Result.TokenIds);
        }

        EngineCountersSnapshot counters = engine.Counters.Snapshot();
        Assert.Equal(7, counters.ImagesComputed);
        Assert.Equal(2, counters.ImagePasses);
    }

    [Fact]
    public async Task GenerateAsync_HiddenStateImage_EqualsPipeline()
    {
        EvalItem item = fixture.DistinctImages(1, skip: 70)[0];
        byte[] bytes = fixture.ImageBytes(item);
        var pixels = new float[fixture.Model.Preprocessor.TensorLength];
        fixture.Model.Preprocessor.Preprocess(bytes, pixels);
        var hidden = new float[fixture.Model.VisionEdge.HiddenStateLength];
        fixture.Model.VisionEdge.Run(pixels, 1, hidden);
        GenerationResult expected = fixture.Pipeline.Generate(VlmRequest.FromHiddenState(hidden, item.Question));
        await using GenerationEngine engine = fixture.CreateEngine();

        var request = new EngineRequest(EngineImage.FromHiddenState(hidden, [1, 2, 3]), item.Question, new GenerationOptions());
        GenerationResult result = (await EngineRequests.Start(engine, request).WaitAsync(Patience)).Result;

        Assert.Equal(expected.TokenIds, result.TokenIds);
    }

    private float[] HiddenState(EvalItem item)
    {
        var pixels = new float[fixture.Model.Preprocessor.TensorLength];
        fixture.Model.Preprocessor.Preprocess(fixture.ImageBytes(item), pixels);
        var hidden = new float[fixture.Model.VisionEdge.HiddenStateLength];
        fixture.Model.VisionEdge.Run(pixels, 1, hidden);
        return hidden;
    }

    [Fact]
    public async Task GenerateAsync_CancelledWhileDecoding_FreesSlotForQueuedRequest()
    {
        EvalItem caption = fixture.Eval.Items.First(i => i.Template == "caption");
        EvalItem next = fixture.DistinctImages(1, skip: 80)[0];
        await using GenerationEngine engine = fixture.CreateEngine(new EngineOptions { KvCacheMemoryMiB = 64, MaxSequenceTokens = 128, MaxBatchSize = 1 });
        using var gate = new SchedulerGate("decode");
        using var cancel = new CancellationTokenSource();

        // The scheduler is held as the long answer joins the batch: its only slot is taken, the next request waits.
        Task<StreamedAnswer> cancelled = gate.Start(engine, fixture.Request(caption), cancel.Token);
        await gate.Entered.WaitAsync(Patience);
        Task<StreamedAnswer> waiting = EngineRequests.Start(engine, fixture.Request(next));
        Assert.Equal(new EngineStatus(1, 1, 1, 64), engine.Status);
        await cancel.CancelAsync();
        gate.Release();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Patience));
        StreamedAnswer answer = await waiting.WaitAsync(Patience);
        Assert.Equal(fixture.Reference(next).TokenIds, answer.Result.TokenIds);
        Assert.Equal(new EngineStatus(0, 0, 1, 64), engine.Status);
        Activity decode = Assert.Single(gate.Stopped, a => a.OperationName == "decode");
        Assert.Equal(ActivityStatusCode.Error, decode.Status);
    }

    [Fact]
    public async Task GenerateAsync_ConsumerStopsReading_FreesSlot()
    {
        EvalItem caption = fixture.Eval.Items.First(i => i.Template == "caption");
        EvalItem next = fixture.DistinctImages(1, skip: 81)[0];
        await using GenerationEngine engine = fixture.CreateEngine(new EngineOptions { KvCacheMemoryMiB = 64, MaxSequenceTokens = 128, MaxBatchSize = 1 });
        using var gate = new SchedulerGate("decode");

        IAsyncEnumerator<GenerationDelta> stream;
        ValueTask<bool> first;
        using (gate.BeginTrace())
        {
            stream = engine.GenerateAsync(fixture.Request(caption), CancellationToken.None).GetAsyncEnumerator();
            first = stream.MoveNextAsync();
        }

        // The scheduler is held as the answer joins the batch, its first token already sent.
        await gate.Entered.WaitAsync(Patience);
        Task<StreamedAnswer> waiting = EngineRequests.Start(engine, fixture.Request(next));
        Assert.True(await first);
        Assert.Equal(0, stream.Current.Index);
        await stream.DisposeAsync();
        gate.Release();

        StreamedAnswer answer = await waiting.WaitAsync(Patience);
        Assert.Equal(fixture.Reference(next).TokenIds, answer.Result.TokenIds);
        Assert.Equal(new EngineStatus(0, 0, 1, 64), engine.Status);
        Activity decode = Assert.Single(gate.Stopped, a => a.OperationName == "decode");
        Assert.Equal(ActivityStatusCode.Error, decode.Status);
    }

    [Fact]
    public async Task GenerateAsync_QueueFull_ThrowsOverloadedAtOnce()
    {
        IReadOnlyList<EvalItem> items = fixture.DistinctImages(3, skip: 90);
        await using GenerationEngine engine = fixture.CreateEngine(
            new EngineOptions { KvCacheMemoryMiB = 64, MaxSequenceTokens = 128, MaxBatchSize = 1, MaxQueuedRequests = 1 });
        using var gate = new SchedulerGate("decode");

        Task<StreamedAnswer> running = gate.Start(engine, fixture.Request(items[0]));
        await gate.Entered.WaitAsync(Patience);
        Task<StreamedAnswer> queued = EngineRequests.Start(engine, fixture.Request(items[1]));
        Task<StreamedAnswer> refused = EngineRequests.Start(engine, fixture.Request(items[2]));

        Assert.True(refused.IsCompleted, "the refusal must not wait for the scheduler");
        EngineOverloadedException ex = await Assert.ThrowsAsync<EngineOverloadedException>(() => refused);
        Assert.True(ex.RetryAfter >= TimeSpan.FromSeconds(1));
        Assert.Equal(1, engine.Status.QueuedRequests);
        gate.Release();
        await Task.WhenAll(running, queued).WaitAsync(Patience);
    }

    [Fact]
    public async Task GenerateAsync_DeadlinePasses_ThrowsDeadlineExceeded()
    {
        IReadOnlyList<EvalItem> items = fixture.DistinctImages(2, skip: 100);
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using GenerationEngine engine = fixture.CreateEngine(
            new EngineOptions { KvCacheMemoryMiB = 64, MaxSequenceTokens = 128, MaxBatchSize = 1, DefaultDeadline = TimeSpan.FromSeconds(5) }, time);
        using var gate = new SchedulerGate("decode");

        EngineRequest running = fixture.Request(items[0]) with { Deadline = time.GetUtcNow().AddSeconds(1) };
        Task<StreamedAnswer> active = gate.Start(engine, running);
        await gate.Entered.WaitAsync(Patience);
        Task<StreamedAnswer> queued = EngineRequests.Start(engine, fixture.Request(items[1]));
        time.Advance(TimeSpan.FromSeconds(2));

        Assert.False(active.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(4));
        await Assert.ThrowsAsync<EngineDeadlineExceededException>(() => queued.WaitAsync(Patience));
        Assert.Equal(0, engine.Status.QueuedRequests);
        gate.Release();
        await Assert.ThrowsAsync<EngineDeadlineExceededException>(() => active.WaitAsync(Patience));
    }

    [Fact]
    public async Task GenerateAsync_DeadlineAlreadyPassed_ThrowsAtOnce()
    {
        await using GenerationEngine engine = fixture.CreateEngine();
        EngineRequest request = fixture.Request(fixture.DistinctImages(1)[0]) with { Deadline = DateTimeOffset.UtcNow.AddSeconds(-1) };

        Task<StreamedAnswer> answer = EngineRequests.Start(engine, request);

        Assert.True(answer.IsCompleted);
        await Assert.ThrowsAsync<EngineDeadlineExceededException>(() => answer);
    }

    [Fact]
    public async Task GenerateAsync_UndecodableImage_ThrowsImageRejected()
    {
        await using GenerationEngine engine = fixture.CreateEngine();
        var request = new EngineRequest(EngineImage.FromEncoded(new byte[] { 1, 2, 3, 4, 5 }), "what color is the square?", new GenerationOptions());

        await Assert.ThrowsAsync<ImageRejectedException>(() => EngineRequests.Start(engine, request));
        Assert.Equal(0, engine.Status.QueuedRequests);
    }

    [Fact]
    public async Task GenerateAsync_PromptLongerThanSequenceLimit_ThrowsArgument()
    {
        await using GenerationEngine engine = fixture.CreateEngine(new EngineOptions { KvCacheMemoryMiB = 64, MaxSequenceTokens = 40 });
        EngineRequest request = fixture.Request(fixture.DistinctImages(1)[0]);

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => EngineRequests.Start(engine, request));
        Assert.Contains("40", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GenerateAsync_AnswerLimitBeyondSequenceLimit_IsShortened()
    {
        EvalItem caption = fixture.Eval.Items.First(i => i.Template == "caption");
        GenerationResult full = fixture.Reference(caption);
        int limit = full.PromptTokens + 2;
        await using GenerationEngine engine = fixture.CreateEngine(new EngineOptions { KvCacheMemoryMiB = 64, MaxSequenceTokens = limit });

        GenerationResult result = (await EngineRequests.Start(engine, fixture.Request(caption)).WaitAsync(Patience)).Result;

        Assert.Equal(full.TokenIds.Take(2), result.TokenIds);
        Assert.Equal(FinishReason.Length, result.FinishReason);
    }

    [Fact]
    public async Task DisposeAsync_WithQueuedAndRunningRequests_EndsThemWithObjectDisposed()
    {
        IReadOnlyList<EvalItem> items = fixture.DistinctImages(2, skip: 110);
        GenerationEngine engine = fixture.CreateEngine(new EngineOptions { KvCacheMemoryMiB = 64, MaxSequenceTokens = 128, MaxBatchSize = 1 });
        using var gate = new SchedulerGate("decode");

        Task<StreamedAnswer> running = gate.Start(engine, fixture.Request(items[0]));
        await gate.Entered.WaitAsync(Patience);
        Task<StreamedAnswer> queued = EngineRequests.Start(engine, fixture.Request(items[1]));
        ValueTask disposing = engine.DisposeAsync();
        gate.Release();
        await disposing;

        await Assert.ThrowsAsync<ObjectDisposedException>(() => queued.WaitAsync(Patience));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => running.WaitAsync(Patience));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => EngineRequests.Start(engine, fixture.Request(items[1])));
    }

    [Fact]
    public async Task DisposeAsync_WhilePrefillWorkerHoldsRequest_EndsItWithObjectDisposed()
    {
        EvalItem first = fixture.QuestionsAbout(60)[0];
        byte[] image = fixture.ImageBytes(first);
        GenerationEngine engine = fixture.CreateEngine(new EngineOptions { KvCacheMemoryMiB = 64, MaxSequenceTokens = 128, PrefillWorkers = 1 });
        await EngineRequests.Start(engine, new EngineRequest(EngineImage.FromEncoded(image), first.Question, new GenerationOptions())).WaitAsync(Patience);
        using var gate = new SchedulerGate("prefill");

        // The image prefix is cached, so the request's only prefill is the question's, on the prefill worker.
        Task<StreamedAnswer> held = gate.Start(engine, new EngineRequest(EngineImage.FromEncoded(image), "describe the image", new GenerationOptions()));
        await gate.Entered.WaitAsync(Patience);
        ValueTask disposing = engine.DisposeAsync();
        gate.Release();
        await disposing.AsTask().WaitAsync(Patience);

        await Assert.ThrowsAsync<ObjectDisposedException>(() => held.WaitAsync(Patience));
        Assert.Equal(0, engine.Status.ActiveSequences);
    }

    [Fact]
    public async Task GenerateAsync_Traced_EmitsVisionPrefillAndDecodeSpans()
    {
        EvalItem item = fixture.Eval.Items.First(i => i.Template == "caption");
        await using GenerationEngine engine = fixture.CreateEngine();
        using var gate = new SchedulerGate("none");

        await gate.Start(engine, fixture.Request(item)).WaitAsync(Patience);

        string[] names = gate.Stopped.Select(a => a.OperationName).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["decode", "prefill", "prefill", "vision"], names);
        Assert.All(gate.Stopped, a => Assert.Equal("shapes-vqa", a.GetTagItem(CloudTelemetry.ModelTag)));
    }
}
