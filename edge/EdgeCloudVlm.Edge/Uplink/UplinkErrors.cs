using EdgeCloudVlm.Edge.State;
using Grpc.Core;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace EdgeCloudVlm.Edge.Uplink;

/// <summary>Turns link failures into the state they put the link in and a message that says what to do.</summary>
public static class UplinkErrors
{
    public static (LinkState State, string Message) Describe(Exception? ex, Uri address) => ex switch
    {
        RpcException { StatusCode: StatusCode.Unauthenticated } rpc =>
            (LinkState.Unauthorized, $"authentication failed: the cloud at {address} refused the credentials ({Detail(rpc)}); set Edge:Uplink:ApiKey to a key of role 'edge' (or configure the client certificate)"),
        RpcException { StatusCode: StatusCode.PermissionDenied } rpc =>
            (LinkState.Unauthorized, $"permission denied: the cloud at {address} does not let these credentials use edge ingest ({Detail(rpc)}); the key needs role 'edge'"),
        RpcException { StatusCode: StatusCode.Unavailable } rpc =>
            (LinkState.Disconnected, $"the cloud at {address} is unreachable: {Detail(rpc)}"),
        RpcException { StatusCode: StatusCode.Unimplemented } rpc =>
            (LinkState.Disconnected, $"the server at {address} does not serve EdgeIngest.Stream ({Detail(rpc)}); check Edge:Uplink:Address"),
        RpcException rpc => (LinkState.Disconnected, $"the ingest stream failed with {rpc.StatusCode}: {Detail(rpc)}"),
        TimeoutRejectedException => (LinkState.Disconnected, $"the cloud at {address} did not answer Hello in time"),
        BrokenCircuitException => (LinkState.CircuitOpen, "connection attempts paused after repeated failures (circuit open)"),
        UplinkSessionException session => (LinkState.Disconnected, session.Message),
        null => (LinkState.Disconnected, "connection attempt failed"),
        _ => (LinkState.Disconnected, $"the ingest stream failed: {ex.GetType().Name}: {ex.Message}"),
    };

    private static string Detail(RpcException rpc) =>
        string.IsNullOrEmpty(rpc.Status.Detail) ? rpc.StatusCode.ToString() : $"{rpc.StatusCode}: {rpc.Status.Detail}";
}
