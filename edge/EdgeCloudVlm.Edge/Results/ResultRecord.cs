using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeCloudVlm.Edge.Results;

/// <summary>One line of the results sinks: the answer (or why there is none) with the frame's accounting.</summary>
public sealed record ResultRecord
{
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public required string FrameId { get; init; }

    public required string DeviceId { get; init; }

    public required string ModelId { get; init; }

    /// <summary>Watched file name, <c>http</c> or <c>ask</c>.</summary>
    public required string Source { get; init; }

    public required string Question { get; init; }

    /// <summary><c>answered</c>, <c>failed</c> or <c>dropped</c>.</summary>
    public required string Status { get; init; }

    public string? Answer { get; init; }

    public string? FinishReason { get; init; }

    public ResultError? Error { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset CompletedAt { get; init; }

    /// <summary>From intake to the result being delivered, in milliseconds (spool wait and outages included).</summary>
    public double LatencyMs { get; init; }

    /// <summary><c>codec</c> (AlignedVQ frame) or <c>jpeg</c> (fallback).</summary>
    public required string Payload { get; init; }

    /// <summary>Payload bytes the frame put on the wire.</summary>
    public long BytesOnWire { get; init; }

    /// <summary>Size of the split tensor as fp16 (0 for JPEG).</summary>
    public long Fp16EquivalentBytes { get; init; }

    public double? CompressionRatio { get; init; }

    public ResultUsage? Usage { get; init; }

    /// <summary>Milliseconds the frame spent in each edge stage (zero for stages that did not run, e.g. on the JPEG
    /// fallback).</summary>
    public EdgeStageMs? EdgeMs { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static ResultRecord? FromJson(string line) => JsonSerializer.Deserialize<ResultRecord>(line, JsonOptions);
}

public sealed record ResultError(string Code, string Message, bool Retryable);

public sealed record EdgeStageMs(double Decode, double Preprocess, double Vision, double Encode);

public sealed record ResultUsage(uint PromptTokens, uint CompletionTokens, uint ImageTokens);
