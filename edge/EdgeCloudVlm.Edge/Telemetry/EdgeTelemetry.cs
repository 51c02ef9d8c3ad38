using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace EdgeCloudVlm.Edge.Telemetry;

/// <summary>
/// The agent's meter and activity source, both named <see cref="Name"/>. One instance per host (the meter comes from
/// <see cref="IMeterFactory"/> so tests can listen to one host without seeing another's measurements).
/// </summary>
public sealed class EdgeTelemetry
{
    public const string Name = "EdgeCloudVlm.Edge";

    /// <summary>Spans of a frame's life on the device; the capture span's context travels in Frame.trace_context.</summary>
    public static readonly ActivitySource ActivitySource = new(Name, typeof(EdgeTelemetry).Assembly.GetName().Version?.ToString());

    private readonly Meter _meter;
    private readonly Counter<long> _frames;
    private readonly Counter<long> _fallbacks;
    private readonly Counter<long> _wireBytes;
    private readonly Counter<long> _fp16Bytes;
    private readonly Counter<long> _outcomes;
    private readonly Counter<long> _spoolDropped;
    private readonly Counter<long> _spoolRefused;
    private readonly Counter<long> _spoolCorrupt;
    private readonly Counter<long> _reconnects;
    private readonly Histogram<double> _stage;
    private readonly Histogram<double> _ratio;
    private readonly Histogram<double> _roundTrip;
    private Func<long> _spoolDepth = static () => 0;
    private Func<long> _spoolBytes = static () => 0;
    private Func<int> _linkState = static () => 0;
    private Func<int> _inFlight = static () => 0;

    public EdgeTelemetry(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(Name);
        _frames = _meter.CreateCounter<long>("ecv.edge.frames", "{frame}", "Frames taken in, by source and payload (codec or jpeg).");
        _fallbacks = _meter.CreateCounter<long>("ecv.edge.fallbacks", "{frame}", "Frames sent as JPEG because the vision head or codec could not run, by reason.");
        _wireBytes = _meter.CreateCounter<long>("ecv.edge.wire.bytes", "By", "Payload bytes sent to the cloud (codec frames or fallback JPEGs), resends included.");
        _fp16Bytes = _meter.CreateCounter<long>("ecv.edge.fp16_equivalent.bytes", "By", "Size the sent split tensors would have as uncompressed fp16.");
        _outcomes = _meter.CreateCounter<long>("ecv.edge.results", "{frame}", "Final outcomes delivered to the sinks, by status.");
        _spoolDropped = _meter.CreateCounter<long>("ecv.edge.spool.dropped", "{frame}", "Frames dropped by the DropOldest policy to stay within the disk bound.");
        _spoolRefused = _meter.CreateCounter<long>("ecv.edge.spool.refused", "{frame}", "Frames refused by the RefuseNew policy because the spool was full.");
        _spoolCorrupt = _meter.CreateCounter<long>("ecv.edge.spool.corrupt_records", "{record}", "Torn or corrupt spool records skipped on replay.");
        _reconnects = _meter.CreateCounter<long>("ecv.edge.uplink.connects", "{attempt}", "Uplink connection attempts, by result.");
        _stage = _meter.CreateHistogram<double>("ecv.edge.stage.duration", "s", "Per-frame time in one stage (decode, preprocess, vision, encode, spool, send, result).");
        _ratio = _meter.CreateHistogram<double>("ecv.edge.compression.ratio", "1", "fp16-equivalent bytes over codec frame bytes, per frame.");
        _roundTrip = _meter.CreateHistogram<double>("ecv.edge.uplink.rtt", "s", "Ping round-trip time on the ingest stream.");
        _meter.CreateObservableGauge("ecv.edge.spool.depth", () => _spoolDepth(), "{frame}", "Frames in the spool awaiting their final result.");
        _meter.CreateObservableGauge("ecv.edge.spool.bytes", () => _spoolBytes(), "By", "Bytes the spool occupies on disk.");
        _meter.CreateObservableGauge("ecv.edge.uplink.state", () => _linkState(), "1", "1 while the ingest stream is connected, 0 otherwise.");
        _meter.CreateObservableGauge("ecv.edge.uplink.in_flight", () => _inFlight(), "{frame}", "Frames sent and awaiting a final result.");
    }

    /// <summary>Connects the observable gauges to their owners once those exist.</summary>
    public void ObserveSpool(Func<long> depth, Func<long> bytes)
    {
        _spoolDepth = depth;
        _spoolBytes = bytes;
    }

    public void ObserveLink(Func<int> state, Func<int> inFlight)
    {
        _linkState = state;
        _inFlight = inFlight;
    }

    public void FrameTaken(string source, string payload) =>
        _frames.Add(1, new KeyValuePair<string, object?>("source", source), new KeyValuePair<string, object?>("payload", payload));

    public void Fallback(string reason) => _fallbacks.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Sent(long payloadBytes, long fp16Bytes, bool codec)
    {
        var tag = new KeyValuePair<string, object?>("payload", codec ? "codec" : "jpeg");
        _wireBytes.Add(payloadBytes, tag);
        if (fp16Bytes > 0)
        {
            _fp16Bytes.Add(fp16Bytes, tag);
        }
    }

    public void CompressionRatio(double ratio) => _ratio.Record(ratio);

    public void Outcome(string status) => _outcomes.Add(1, new KeyValuePair<string, object?>("status", status));

    public void SpoolDropped(long frames) => _spoolDropped.Add(frames);

    public void SpoolRefused() => _spoolRefused.Add(1);

    public void SpoolCorrupt() => _spoolCorrupt.Add(1);

    public void ConnectAttempt(string result) => _reconnects.Add(1, new KeyValuePair<string, object?>("result", result));

    public void Stage(string stage, TimeSpan elapsed) =>
        _stage.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("stage", stage));

    public void RoundTrip(TimeSpan elapsed) => _roundTrip.Record(elapsed.TotalSeconds);
}
