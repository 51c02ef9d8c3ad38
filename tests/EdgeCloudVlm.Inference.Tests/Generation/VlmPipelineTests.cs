using EdgeCloudVlm.Inference.Generation;
using EdgeCloudVlm.Inference.Tests.Support;

namespace EdgeCloudVlm.Inference.Tests.Generation;

[Collection(DemoModelCollection.Name)]
public sealed class VlmPipelineTests(DemoModelFixture fixture)
{
    private readonly VlmPipeline _pipeline = new(fixture.Model);

    public static TheoryData<int> Samples => Golden.SampleIndices();

    private int ImageTokens => fixture.Model.Manifest.Vision.Tokens;

    [Theory]
    [MemberData(nameof(Samples))]
    public void Generate_GoldenImage_AnswersLikePyTorchGreedy(int sample)
    {
        GoldenSample s = Golden.Demo.Samples[sample];

        GenerationResult result = _pipeline.Generate(VlmRequest.FromEncodedImage(File.ReadAllBytes(s.ImagePath), s.Question));

        Assert.Equal(s.AnswerIds, result.TokenIds);
        Assert.Equal(s.AnswerText, result.Text);
        Assert.Equal(s.AnswerIds.Length < fixture.Model.Manifest.Generation.MaxTokens ? FinishReason.Stop : FinishReason.Length, result.FinishReason);
        Assert.Equal(s.PromptIds.Length - 1 + ImageTokens, result.PromptTokens);
        Assert.Equal(ImageTokens, result.ImageTokens);
        Assert.Equal(s.AnswerIds.Length, result.CompletionTokens);
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Generate_FromHiddenStateOrPixels_SameAnswerAsFromImage(int sample)
    {
        GoldenSample s = Golden.Demo.Samples[sample];

        GenerationResult fromHidden = _pipeline.Generate(VlmRequest.FromHiddenState(s["hidden_state"].Floats(), s.Question));
        GenerationResult fromPixels = _pipeline.Generate(VlmRequest.FromPixelValues(s["pixel_values"].Floats(), s.Question));
        GenerationResult fromEmbeds = _pipeline.Generate(VlmRequest.FromImageEmbeddings(s["image_embeds"].Floats(), s.Question));

        Assert.Equal(s.AnswerIds, fromHidden.TokenIds);
        Assert.Equal(s.AnswerIds, fromPixels.TokenIds);
        Assert.Equal(s.AnswerIds, fromEmbeds.TokenIds);
    }

    [Fact]
    public async Task StreamAsync_Deltas_ConcatenateToFinalText()
    {
        GoldenSample s = LongestAnswer();
        var deltas = new List<GenerationDelta>();

        await foreach (GenerationDelta d in _pipeline.StreamAsync(Request(s)))
        {
            deltas.Add(d);
        }

        GenerationResult result = Assert.IsType<GenerationResult>(deltas[^1].Result);
        Assert.All(deltas.SkipLast(1), d => Assert.False(d.IsFinal));
        Assert.Equal(s.AnswerIds, deltas.SkipLast(1).Select(d => d.TokenId));
        Assert.Equal(Enumerable.Range(0, s.AnswerIds.Length), deltas.SkipLast(1).Select(d => d.Index));
        Assert.Equal(result.Text, string.Concat(deltas.Select(d => d.Text)));
        Assert.Equal(s.AnswerText, result.Text);
    }

    [Fact]
    public void Generate_MaxTokens_StopsWithLength()
    {
        GoldenSample s = LongestAnswer();

        GenerationResult result = _pipeline.Generate(Request(s), new GenerationOptions { MaxTokens = 1 });

        Assert.Equal(FinishReason.Length, result.FinishReason);
        Assert.Equal(s.AnswerIds[..1], result.TokenIds);
        Assert.Equal(s.AnswerText.Split(' ')[0], result.Text);
    }

    [Fact]
    public async Task StreamAsync_StopSequence_CutsTextAndNeverStreamsIt()
    {
        GoldenSample s = LongestAnswer();
        string[] words = s.AnswerText.Split(' ');
        var options = new GenerationOptions { StopSequences = [" " + words[1]] };
        var streamed = new List<string>();
        GenerationResult? result = null;

        await foreach (GenerationDelta d in _pipeline.StreamAsync(Request(s), options))
        {
            streamed.Add(d.Text);
            result = d.Result ?? result;
        }

        Assert.NotNull(result);
        Assert.Equal(FinishReason.Stop, result.FinishReason);
        Assert.Equal(words[0], result.Text);
        Assert.Equal(words[0], string.Concat(streamed));
        Assert.Equal(s.AnswerIds[..2], result.TokenIds);
    }

    [Fact]
    public void Generate_SameSeed_SameText_DifferentSeeds_CanDiffer()
    {
        GoldenSample s = LongestAnswer();
        GenerationOptions Seeded(long seed) => new() { Sampling = new SamplingOptions { Temperature = 3f, Seed = seed } };

        string[] texts = Enumerable.Range(1, 8).Select(seed => _pipeline.Generate(Request(s), Seeded(seed)).Text).ToArray();
        string again = _pipeline.Generate(Request(s), Seeded(1)).Text;

        Assert.Equal(texts[0], again);
        Assert.True(texts.Distinct().Count() > 1, "eight seeds at temperature 3 all gave: " + texts[0]);
    }

    [Fact]
    public async Task StreamAsync_CancelledBeforeStart_FinishesCancelled()
    {
        GoldenSample s = LongestAnswer();
        var deltas = new List<GenerationDelta>();

        await foreach (GenerationDelta d in _pipeline.StreamAsync(Request(s), cancellationToken: new CancellationToken(canceled: true)))
        {
            deltas.Add(d);
        }

        GenerationDelta only = Assert.Single(deltas);
        Assert.Equal(FinishReason.Cancelled, only.Result!.FinishReason);
        Assert.Equal(0, only.Result.CompletionTokens);
    }

    [Fact]
    public async Task StreamAsync_CancelledAfterFirstToken_StopsThere()
    {
        GoldenSample s = LongestAnswer();
        using var cts = new CancellationTokenSource();
        GenerationResult? result = null;
        int tokens = 0;

        await foreach (GenerationDelta d in _pipeline.StreamAsync(Request(s)).WithCancellation(cts.Token))
        {
            tokens += d.TokenId >= 0 ? 1 : 0;
            result = d.Result ?? result;
            await cts.CancelAsync();
        }

        Assert.Equal(1, tokens);
        Assert.Equal(FinishReason.Cancelled, result!.FinishReason);
        Assert.Equal(s.AnswerIds[..1], result.TokenIds);
    }

    [Fact]
    public void Generate_InjectedClock_AttributesStages()
    {
        GoldenSample s = LongestAnswer();
        var clock = new SteppingTimeProvider(TimeSpan.FromSeconds(1));
        var pipeline = new VlmPipeline(fixture.Model, clock);

        GenerationResult result = pipeline.Generate(Request(s));

        // Each stage reads the clock twice, and the clock advances one second per read.
        Assert.Equal(TimeSpan.FromSeconds(1), result.Timings.Vision);
        Assert.Equal(TimeSpan.FromSeconds(1), result.Timings.Prefill);
        Assert.Equal(TimeSpan.FromSeconds(s.AnswerIds.Length), result.Timings.Decode); // one step per token, EOS included
    }

    [Fact]
    public void Generate_WrongHiddenStateLength_Throws()
    {
        Assert.Throws<ArgumentException>(() => _pipeline.Generate(VlmRequest.FromHiddenState(new float[7], "what?")));
    }

    private static VlmRequest Request(GoldenSample s) => VlmRequest.FromImageEmbeddings(s["image_embeds"].Floats(), s.Question);

    private static GoldenSample LongestAnswer()
    {
        GoldenSample s = Golden.Demo.Samples.MaxBy(x => x.AnswerIds.Length)!;
        Assert.True(s.AnswerIds.Length >= 2, "a golden sample with a multi-word answer is needed");
        return s;
    }

    private sealed class SteppingTimeProvider(TimeSpan step) : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Add(ref _ticks, step.Ticks) - step.Ticks;
    }
}
