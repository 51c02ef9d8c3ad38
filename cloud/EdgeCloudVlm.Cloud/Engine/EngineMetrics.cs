using System.Diagnostics.Metrics;

namespace EdgeCloudVlm.Cloud.Engine;

/// <summary>
/// The engine's instruments on the <see cref="CloudTelemetry.MeterName"/> meter. Every measurement carries the model
/// id (<see cref="CloudTelemetry.ModelTag"/>) so several engines can share one meter.
/// </summary>
internal sealed class EngineMetrics : IDisposable
{
    /// <summary>Outcome tag values of <c>edgecloudvlm.engine.requests</c>.</summary>
    public static class Outcomes
    {
        public const string Completed = "completed";
        public const string Cancelled = "cancelled";
        public const string DeadlineExceeded = "deadline_exceeded";
        public const string Rejected = "rejected";
        public const string Invalid = "invalid";
        public const string Failed = "failed";
        public const string Stopped = "stopped";
    }

    private static readonly double[] SecondsBuckets =
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private static readonly int[] BatchBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256];

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly KeyValuePair<string, object?> _model;
    private readonly Histogram<double> _timeToFirstToken;
    private readonly Histogram<double> _timePerOutputToken;
    private readonly Counter<long> _outputTokens;
    private readonly Counter<long> _promptTokens;
    private readonly Histogram<int> _batchSize;
    private readonly Counter<long> _prefixHits;
    private readonly Counter<long> _prefixMisses;
    private readonly Counter<long> _requests;

    public EngineMetrics(IMeterFactory? meterFactory, string modelId, Func<EngineStatus> status)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(CloudTelemetry.MeterName) ?? new Meter(CloudTelemetry.MeterName);
        _model = new(CloudTelemetry.ModelTag, modelId);
        _timeToFirstToken = _meter.CreateHistogram(
            "edgecloudvlm.engine.time_to_first_token", "s", "Time from a request's arrival to its first token.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _timePerOutputToken = _meter.CreateHistogram(
            "edgecloudvlm.engine.time_per_output_token", "s", "Mean time between a request's output tokens after the first.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _outputTokens = _meter.CreateCounter<long>("edgecloudvlm.engine.output_tokens", "{token}", "Tokens generated.");
        _promptTokens = _meter.CreateCounter<long>(
            "edgecloudvlm.engine.prompt_tokens", "{token}", "Prompt positions prefilled or read from the prefix cache, image rows included.");
        _batchSize = _meter.CreateHistogram(
            "edgecloudvlm.engine.batch_size", "{sequence}", "Sequences in one batched decode step.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = BatchBuckets });
        _prefixHits = _meter.CreateCounter<long>(
            "edgecloudvlm.engine.prefix_cache.hits", "{request}", "Requests whose image prefix came from the cache.");
        _prefixMisses = _meter.CreateCounter<long>(
            "edgecloudvlm.engine.prefix_cache.misses", "{request}", "Requests whose image went through the vision parts.");
        _requests = _meter.CreateCounter<long>(
            "edgecloudvlm.engine.requests", "{request}", "Requests that ended, by outcome.");
        _meter.CreateObservableGauge(
            "edgecloudvlm.engine.queue_depth", () => new Measurement<int>(status().QueuedRequests, _model),
            "{request}", "Requests waiting for a batch slot.");
        _meter.CreateObservableGauge(
            "edgecloudvlm.engine.active_sequences", () => new Measurement<int>(status().ActiveSequences, _model),
            "{sequence}", "Sequences in prefill or in the decode batch.");
        _meter.CreateObservableGauge(
            "edgecloudvlm.engine.max_active_sequences", () => new Measurement<int>(status().MaxActiveSequences, _model),
            "{sequence}", "Sequences the KV-cache budget allows at once.");
    }

    public void TimeToFirstToken(TimeSpan value) => _timeToFirstToken.Record(value.TotalSeconds, _model);

    public void TimePerOutputToken(TimeSpan value) => _timePerOutputToken.Record(value.TotalSeconds, _model);

    public void OutputTokens(int count)
    {
        if (count > 0)
        {
            _outputTokens.Add(count, _model);
        }
    }

    public void PromptTokens(int count) => _promptTokens.Add(count, _model);

    public void BatchSize(int size) => _batchSize.Record(size, _model);

    public void PrefixHit() => _prefixHits.Add(1, _model);

    public void PrefixMiss() => _prefixMisses.Add(1, _model);

    public void Request(string outcome) => _requests.Add(1, _model, new KeyValuePair<string, object?>("outcome", outcome));

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
