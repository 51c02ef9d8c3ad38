using EdgeCloudVlm.Codec.Frames;

namespace EdgeCloudVlm.Cloud.Requests;

/// <summary>What went wrong with a request, independent of the protocol it came in on. Each front end maps the kind to
/// its own status (HTTP code and OpenAI error type, gRPC status, or an ingest <c>ErrorDetail</c>).</summary>
internal enum RequestErrorKind
{
    /// <summary>A field is missing or malformed (not a frame or an image).</summary>
    InvalidRequest,

    /// <summary>The codec frame is malformed or does not fit the model; <see cref="RequestError.FrameStatus"/> says how.</summary>
    InvalidFrame,

    /// <summary>The frame names a codebook this server does not hold.</summary>
    UnknownCodebook,

    /// <summary>The model id is not served here.</summary>
    UnknownModel,

    /// <summary>The image cannot be decoded or has an unsupported format.</summary>
    InvalidImage,

    /// <summary>A payload is larger than its limit (frame bytes, image bytes, image pixels).</summary>
    PayloadTooLarge,

    /// <summary>A count limit was exceeded (prompt tokens, output tokens, frames in flight).</summary>
    LimitExceeded,

    /// <summary>The engine's admission queue is full; retry after <see cref="RequestError.RetryAfter"/>.</summary>
    Overloaded,

    /// <summary>The request's deadline passed.</summary>
    DeadlineExceeded,

    /// <summary>The caller went away or the server is shutting down.</summary>
    Cancelled,

    /// <summary>The models are still loading (or failed to load).</summary>
    NotReady,

    /// <summary>The caller's identity does not allow this (for example a frame for another device).</summary>
    PermissionDenied,

    /// <summary>An unexpected server fault.</summary>
    Internal,
}

/// <summary>A request failure with what a client needs to react: the kind, a message for people, the offending field
/// (OpenAI's <c>param</c>), a machine-readable code, and a retry hint where retrying can help.</summary>
internal sealed record RequestError(RequestErrorKind Kind, string Message)
{
    /// <summary>The request field at fault, in the front end's own naming, when one is.</summary>
    public string? Param { get; init; }

    /// <summary>Short snake_case code (OpenAI's <c>code</c>), e.g. <c>image_too_large</c>.</summary>
    public string? Code { get; init; }

    /// <summary>How long to wait before retrying, for <see cref="RequestErrorKind.Overloaded"/>.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>How a codec frame was malformed, for <see cref="RequestErrorKind.InvalidFrame"/>.</summary>
    public FrameStatus? FrameStatus { get; init; }

    /// <summary>Whether sending the same request again may succeed; by default, for the kinds that depend on the
    /// server's state rather than on the request.</summary>
    public bool Retryable { get; init; } = Kind is RequestErrorKind.Overloaded or RequestErrorKind.DeadlineExceeded
        or RequestErrorKind.NotReady or RequestErrorKind.Cancelled or RequestErrorKind.Internal;

    public static RequestError Invalid(string message, string? param = null, string code = "invalid_request") =>
        new(RequestErrorKind.InvalidRequest, message) { Param = param, Code = code };

    public static RequestError Frame(FrameStatus status, string message) =>
        new(RequestErrorKind.InvalidFrame, $"invalid frame ({status}): {message}") { FrameStatus = status, Code = "invalid_frame" };

    public static RequestError UnknownModel(string modelId, string param) =>
        new(RequestErrorKind.UnknownModel, $"The model '{modelId}' does not exist or is not served here.")
        {
            Param = param,
            Code = "model_not_found",
        };
}

/// <summary>Carries a <see cref="RequestError"/> out of code that cannot return one (async streams).</summary>
internal sealed class RequestErrorException : Exception
{
    public RequestErrorException(RequestError error)
        : base(error.Message)
    {
        Error = error;
    }

    public RequestErrorException(RequestError error, Exception innerException)
        : base(error.Message, innerException)
    {
        Error = error;
    }

    public RequestError Error { get; }
}
