using EdgeCloudVlm.Contracts.V1;
using Google.Rpc;
using Grpc.Core;

namespace EdgeCloudVlm.Cloud.Tests.Support;

/// <summary>Reads the rich status (<c>grpc-status-details-bin</c>) of a failed call.</summary>
internal static class GrpcErrorDetails
{
    public static ErrorDetail Detail(RpcException error)
    {
        Google.Rpc.Status status = error.GetRpcStatus() ?? throw new InvalidOperationException("the call carries no rich status");
        return status.GetDetail<ErrorDetail>() ?? throw new InvalidOperationException("the rich status carries no ErrorDetail");
    }

    public static RetryInfo? Retry(RpcException error) => error.GetRpcStatus()?.GetDetail<RetryInfo>();
}
