using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using EdgeCloudVlm.Cloud.Engine;
using EdgeCloudVlm.Inference.Evaluation;
using EdgeCloudVlm.Inference.Generation;

namespace EdgeCloudVlm.Cloud.Tests.Engine;

[Collection(EngineModelCollection.Name)]
public sealed class EngineMetricsTests(EngineModelFixture fixture)
{
    private const string ModelId = "metrics-test";

    [Fact]
    public async Task GenerateAsync_TwoQuestionsOnOneImage_RecordsTokensLatencyOutcomeAndCache()
    {
        IReadOnlyList<EvalItem> questions = fixture.QuestionsAbout(120);
        using var recorder = new Recorder();
        await using GenerationEngine engine = fixture.CreateEngine(modelId: ModelId);

        GenerationResult first = (await EngineRequests.Start(engine, fixture.Request(questions[0])).WaitAsync(EngineRequests.Patience)).Result;
        GenerationResult second = (await EngineRequests.Start(engine, fixture.Request(questions[1])).WaitAsync(EngineRequests.Patience)).Result;
        recorder.Observe();

        Assert.Equal(first.CompletionTokens + second.CompletionTokens, recorder.Sum("edgecloudvlm.engine.output_tokens"));
        Assert.Equal(first.PromptTokens + second.PromptTokens, recorder.Sum("edgecloudvlm.engine.prompt_tokens"));
        Assert.Equal(2, recorder.Sum("edgecloudvlm.engine.requests", "outcome", "completed"));
        Assert.Equal(2, recorder.Count("edgecloudvlm.engine.time_to_first_token"));
        Assert.Equal(1, recorder.Sum("edgecloudvlm.engine.prefix_cache.misses"));
        Assert.Equal(1, recorder.Sum("edgecloudvlm.engine.prefix_cache.hits"));
        Assert.Equal(0, recorder.Last("edgecloudvlm.engine.queue_depth"));
        Assert.Equal(0, recorder.Last("edgecloudvlm.engine.active_sequences"));
        Assert.Equal(engine.Status.MaxActiveSequences, recorder.Last("edgecloudvlm.engine.max_active_sequences"));
    }

    [Fact]
    public async Task GenerateAsync_QueueFull_CountsRejection()
    {
        IReadOnlyList<EvalItem> items = fixture.DistinctImages(2, skip: 130);
        using var recorder = new Recorder();
        await using GenerationEngine engine = fixture.CreateEngine(
            new EngineOptions { KvCacheMemoryMiB = 64, MaxSequenceTokens = 128, MaxBatchSize = 1, MaxQueuedRequests = 1 }, modelId: ModelId);
        using var gate = new SchedulerGate("decode");

        Task<StreamedAnswer> running = gate.Start(engine, fixture.Request(items[0]));
        await gate.Entered.WaitAsync(EngineRequests.Patience);
        Task<StreamedAnswer> queued = EngineRequests.Start(engine, fixture.Request(items[1]));
        await Assert.ThrowsAsync<EngineOverloadedException>(() => EngineRequests.Start(engine, fixture.Request(items[1])));
        recorder.Observe();
        Assert.Equal(1, recorder.Last("edgecloudvlm.engine.queue_depth"));
        Assert.Equal(1, recorder.Last("edgecloudvlm.engine.active_sequences"));
        gate.Release();
        await Task.WhenAll(running, queued).WaitAsync(EngineRequests.Patience);

        Assert.Equal(1, recorder.Sum("edgecloudvlm.engine.requests", "outcome", "rejected"));
        Assert.Equal(2, recorder.Sum("edgecloudvlm.engine.requests", "outcome", "completed"));
    }

    /// <summary>Collects this test's engine measurements (tagged with its model id) from the cloud meter.</summary>
    private sealed class Recorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(string Name, double Value, Dictionary<string, object?> Tags)> _measurements = new();

        public Recorder()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == CloudTelemetry.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
            _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Add(i, v, tags));
            _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
            _listener.Start();
        }

        public void Observe() => _listener.RecordObservableInstruments();

        public double Sum(string name, string? tag = null, string? value = null) =>
            Matching(name, tag, value).Sum(m => m.Value);

        public int Count(string name) => Matching(name, null, null).Count();

        public double Last(string name) => Matching(name, null, null).Last().Value;

        public void Dispose() => _listener.Dispose();

        private IEnumerable<(string Name, double Value, Dictionary<string, object?> Tags)> Matching(string name, string? tag, string? value) =>
            _measurements.Where(m => m.Name == name && (tag is null || Equals(m.Tags.GetValueOrDefault(tag), value)));

        private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var map = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                map[tag.Key] = tag.Value;
            }

            if (Equals(map.GetValueOrDefault(CloudTelemetry.ModelTag), ModelId))
            {
                _measurements.Enqueue((instrument.Name, value, map));
            }
        }
    }
}
