using EdgeCloudVlm.Contracts.V1;

namespace EdgeCloudVlm.Edge.Pipeline;

/// <summary>Turns a capture into the wire frame: decode, preprocess, vision head and AlignedVQ, or the JPEG fallback.</summary>
public interface IFrameEncoder
{
    EncodeResult Encode(CaptureRequest request, CancellationToken cancellationToken);
}

/// <summary>The frame, or why there is none (<see cref="IntakeStatus.Rejected"/> or <see cref="IntakeStatus.Refused"/>).</summary>
public sealed record EncodeResult
{
    public Frame? Frame { get; init; }

    public IntakeStatus FailureStatus { get; init; }

    public string? FailureReason { get; init; }

    /// <summary>Why the JPEG fallback was used, or null when the frame is a codec frame.</summary>
    public string? FallbackReason { get; init; }

    public EncodeTimings Timings { get; init; }

    /// <summary>Size of the image as JPEG (the input itself when it is one), when asked for.</summary>
    public long? JpegBytes { get; init; }

    public static EncodeResult Failed(IntakeStatus status, string reason, EncodeTimings timings = default) =>
        new() { FailureStatus = status, FailureReason = reason, Timings = timings };
}

/// <summary>Per-stage time of one frame on the device.</summary>
public readonly record struct EncodeTimings(TimeSpan Decode, TimeSpan Preprocess, TimeSpan Vision, TimeSpan Encode);
