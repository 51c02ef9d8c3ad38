using EdgeCloudVlm.Cloud.Requests;
using EdgeCloudVlm.Contracts.V1;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace EdgeCloudVlm.Cloud.Grpc;

/// <summary>
/// Maps a <see cref="RequestError"/> to the wire: an <see cref="ErrorDetail"/> for ingest events, and for unary and
/// server-streaming calls an <see cref="RpcException"/> whose rich status (<c>grpc-status-details-bin</c>) carries the
/// <see cref="ErrorDetail"/> and, when retrying helps, a standard <c>google.rpc.RetryInfo</c>.
/// </summary>
internal static class GrpcErrors
{
    public static ErrorDetail ToErrorDetail(RequestError error)
    {
        var detail = new ErrorDetail
        {
            Code = ToErrorCode(error.Kind),
            Message = error.Message,
            Retryable = error.Retryable,
        };
        if (error.RetryAfter is { } retryAfter)
        {
            detail.RetryAfter = Duration.FromTimeSpan(retryAfter);
        }

        return detail;
    }

    public static RpcException ToRpcException(RequestError error)
    {
        var status = new Google.Rpc.Status
        {
            Code = (int)ToStatusCode(error.Kind),
            Message = error.Message,
            Details = { Any.Pack(ToErrorDetail(error)) },
        };
        if (error.RetryAfter is { } retryAfter)
        {
            status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(retryAfter) }));
        }

        return status.ToRpcException();
    }

    public static StatusCode ToStatusCode(RequestErrorKind kind) => kind switch
    {
        RequestErrorKind.InvalidRequest or RequestErrorKind.InvalidFrame or RequestErrorKind.InvalidImage
            or RequestErrorKind.PayloadTooLarge or RequestErrorKind.LimitExceeded => StatusCode.InvalidArgument,
        RequestErrorKind.UnknownCodebook => StatusCode.FailedPrecondition,
        RequestErrorKind.UnknownModel => StatusCode.NotFound,
        RequestErrorKind.Overloaded => StatusCode.ResourceExhausted,
        RequestErrorKind.DeadlineExceeded => StatusCode.DeadlineExceeded,
        RequestErrorKind.Cancelled => StatusCode.Cancelled,
        RequestErrorKind.NotReady => StatusCode.Unavailable,
        RequestErrorKind.PermissionDenied => StatusCode.PermissionDenied,
        _ => StatusCode.Internal,
    };

    // The proto has no generic "invalid request" code: a malformed Frame or request is reported as INVALID_FRAME,
    // which the edge treats the same way (do not resend).
    public static ErrorCode ToErrorCode(RequestErrorKind kind) => kind switch
    {
        RequestErrorKind.InvalidRequest or RequestErrorKind.InvalidFrame => ErrorCode.InvalidFrame,
        RequestErrorKind.UnknownCodebook => ErrorCode.UnknownCodebook,
        RequestErrorKind.UnknownModel => ErrorCode.UnknownModel,
        RequestErrorKind.InvalidImage => ErrorCode.InvalidImage,
        RequestErrorKind.PayloadTooLarge or RequestErrorKind.LimitExceeded => ErrorCode.LimitExceeded,
        RequestErrorKind.Overloaded or RequestErrorKind.NotReady => ErrorCode.Overloaded,
        RequestErrorKind.DeadlineExceeded => ErrorCode.DeadlineExceeded,
        RequestErrorKind.Cancelled => ErrorCode.Cancelled,
        RequestErrorKind.PermissionDenied => ErrorCode.PermissionDenied,
        _ => ErrorCode.Internal,
    };
}
