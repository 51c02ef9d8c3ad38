using EdgeCloudVlm.Edge.Spool;

namespace EdgeCloudVlm.Edge.Pipeline;

/// <summary>An image and a question taken in by an input, on its way to the spool.</summary>
public sealed class CaptureRequest
{
    private readonly TaskCompletionSource<IntakeResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Idempotency key: deterministic for watched files (so a file taken in twice is one frame), chosen by
    /// the client or random for HTTP.</summary>
    public required string FrameId { get; init; }

    /// <summary>Encoded image: JPEG, PNG, WebP or BMP.</summary>
    public required ReadOnlyMemory<byte> Image { get; init; }

    public required string Question { get; init; }

    /// <summary>Watched file name, <c>http</c> or <c>ask</c>.</summary>
    public required string Source { get; init; }

    public string CallbackUrl { get; init; } = "";

    public required DateTimeOffset CapturedAt { get; init; }

    /// <summary>Completes when the frame is durably spooled, or says why it was not.</summary>
    public Task<IntakeResult> Completion => _completion.Task;

    internal void Complete(IntakeResult result) => _completion.TrySetResult(result);
}

public enum IntakeStatus
{
    /// <summary>Written and flushed to the spool; the agent owns it now.</summary>
    Spooled,

    /// <summary>The same frame id is already spooled or was delivered recently.</summary>
    Duplicate,

    /// <summary>Not now (spool full under RefuseNew, no way to encode and no fallback): try again later.</summary>
    Refused,

    /// <summary>Never (not a decodable image of an accepted format and size).</summary>
    Rejected,
}

public sealed record IntakeResult(IntakeStatus Status, string FrameId, string? Reason = null, SpoolEntry? Entry = null);

/// <summary>Where inputs hand their captures: bounded, so a full pipeline makes <see cref="EnqueueAsync"/> wait.</summary>
public interface IFrameIntake
{
    ValueTask EnqueueAsync(CaptureRequest request, CancellationToken cancellationToken);
}
