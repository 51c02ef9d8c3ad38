using System.Diagnostics;
using System.Diagnostics.Metrics;
using EdgeCloudVlm.Cloud.Engine;
using EdgeCloudVlm.Cloud.Requests;

namespace EdgeCloudVlm.Cloud.Telemetry;

/// <summary>
/// The front ends' own instruments, on the service's meter: requests by API and outcome, frames received with their
/// wire bytes and the fp16 size of the tensor they carry (the ratio of the two rates is the compression actually
/// achieved), duplicate frames answered from the idempotency store, and the time to dequantize a frame.
/// </summary>
internal sealed class FrontEndMetrics
{
    private readonly Counter<long> _requests;
    private readonly Counter<long> _frames;
    private readonly Counter<long> _frameBytes;
    private readonly Counter<long> _frameFp16Bytes;
    private readonly Counter<long> _duplicates;
    private readonly Histogram<double> _dequantize;

    /// <summary>Tag naming a frame's codec (aligned_vq, fp16, int8, int4, jpeg).</summary>
    public const string CodecTag = "edgecloudvlm.codec";

    public FrontEndMetrics(IMeterFactory meterFactory)
    {
        Meter meter = meterFactory.Create(CloudTelemetry.MeterName);
        _requests = meter.CreateCounter<long>("edgecloudvlm.cloud.requests", "{request}",
            "Requests finished, by API (rest, grpc, ingest), model and outcome.");
        _frames = meter.CreateCounter<long>("edgecloudvlm.cloud.frames.received", "{frame}",
            "Ingest and gRPC frames received, by payload kind and outcome.");
        _frameBytes = meter.CreateCounter<long>("edgecloudvlm.cloud.frame.payload", "By",
            "Payload bytes of frames received (codec frames or fallback JPEGs), exactly as they crossed the wire.");
        _frameFp16Bytes = meter.CreateCounter<long>("edgecloudvlm.cloud.frame.fp16_equivalent", "By",
            "Size the split tensor of each decoded codec frame would have as IEEE half precision.");
        _duplicates = meter.CreateCounter<long>("edgecloudvlm.cloud.frames.duplicate", "{frame}",
            "Frames whose id was already known, answered from the idempotency store instead of being run again.");
        _dequantize = meter.CreateHistogram<double>("edgecloudvlm.cloud.dequantize.duration", "s",
            "Time to verify and decode a codec frame into the split tensor.");
    }

    public void Request(string api, string model, RequestError? error) =>
        _requests.Add(1, new TagList { { "api", api }, { CloudTelemetry.ModelTag, model }, { "outcome", Outcome(error) } });

    public void Frame(string kind, string model, long payloadBytes, long fp16Bytes, RequestError? error)
    {
        var tags = new TagList { { CodecTag, kind }, { CloudTelemetry.ModelTag, model }, { "outcome", Outcome(error) } };
        _frames.Add(1, tags);
        _frameBytes.Add(payloadBytes, new TagList { { CodecTag, kind }, { CloudTelemetry.ModelTag, model } });
        if (fp16Bytes > 0)
        {
            _frameFp16Bytes.Add(fp16Bytes, new TagList { { CodecTag, kind }, { CloudTelemetry.ModelTag, model } });
        }
    }

    public void Duplicate(string model) => _duplicates.Add(1, new TagList { { CloudTelemetry.ModelTag, model } });

    public void Dequantized(TimeSpan elapsed, string kind) =>
        _dequantize.Record(elapsed.TotalSeconds, new TagList { { CodecTag, kind } });

    /// <summary>The outcome tag: <c>ok</c> or the error kind in snake case.</summary>
    public static string Outcome(RequestError? error) => error?.Kind switch
    {
        null => "ok",
        RequestErrorKind.InvalidRequest => "invalid_request",
        RequestErrorKind.InvalidFrame => "invalid_frame",
        RequestErrorKind.UnknownCodebook => "unknown_codebook",
        RequestErrorKind.UnknownModel => "unknown_model",
        RequestErrorKind.InvalidImage => "invalid_image",
        RequestErrorKind.PayloadTooLarge => "payload_too_large",
        RequestErrorKind.LimitExceeded => "limit_exceeded",
        RequestErrorKind.Overloaded => "overloaded",
        RequestErrorKind.DeadlineExceeded => "deadline_exceeded",
        RequestErrorKind.Cancelled => "cancelled",
        RequestErrorKind.NotReady => "not_ready",
        RequestErrorKind.PermissionDenied => "permission_denied",
        _ => "internal",
    };
}
