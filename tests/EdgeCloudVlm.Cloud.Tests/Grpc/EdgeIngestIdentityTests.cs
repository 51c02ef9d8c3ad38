using EdgeCloudVlm.Cloud.Tests.Support;
using EdgeCloudVlm.Contracts.V1;
using Grpc.Core;

namespace EdgeCloudVlm.Cloud.Tests.Grpc;

/// <summary>With <c>Ingest:RequireDeviceIdAsCallerName</c>, an edge key opens sessions only for its own device.</summary>
public sealed class EdgeIngestIdentityTests(EdgeIngestIdentityTests.BoundDevices host) : IClassFixture<EdgeIngestIdentityTests.BoundDevices>
{
    [Fact]
    public async Task Stream_DeviceIdOfTheKey_IsAccepted()
    {
        // The edge key is configured with the name "test-edge".
        await using IngestSessionClient session = await IngestSessionClient.OpenAsync(host.Cloud.CreateIngestClient(), deviceId: "test-edge");

        Assert.NotEmpty(session.HelloAck.SessionId);
    }

    [Fact]
    public async Task Stream_AnotherDeviceId_IsPermissionDenied()
    {
        using AsyncDuplexStreamingCall<EdgeMessage, CloudEvent> call = host.Cloud.CreateIngestClient().Stream();
        await call.RequestStream.WriteAsync(new EdgeMessage { Hello = new Hello { DeviceId = "camera-9" } });

        RpcException error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (CloudEvent _ in call.ResponseStream.ReadAllAsync())
            {
            }
        });

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Contains("camera-9", error.Status.Detail, StringComparison.Ordinal);
    }

    public sealed class BoundDevices : IAsyncLifetime
    {
        public CloudFactory Cloud { get; } = new(settings: new Dictionary<string, string?> { ["Ingest:RequireDeviceIdAsCallerName"] = "true" });

        public async Task InitializeAsync() => await Cloud.StartAsync();

        public async Task DisposeAsync() => await Cloud.DisposeAsync();
    }
}
