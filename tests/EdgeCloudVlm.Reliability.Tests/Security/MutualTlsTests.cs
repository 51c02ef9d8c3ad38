using System.Security.Cryptography.X509Certificates;
using EdgeCloudVlm.Contracts.V1;
using EdgeCloudVlm.Reliability.Tests.Support;
using Grpc.Core;
using Grpc.Net.Client;

namespace EdgeCloudVlm.Reliability.Tests.Security;

/// <summary>
/// Mutual-TLS mode (<c>Auth:ClientCertificates</c>, mode Require) on an HTTPS gRPC endpoint: a device with a
/// certificate from the configured CA opens its ingest session without a key; no certificate, another CA's
/// certificate, an unpinned self-signed one and an expired one are all refused; a wrong key still loses over a good
/// certificate.
/// </summary>
public sealed class MutualTlsTests : IAsyncLifetime, IDisposable
{
    private readonly TestCertificates _certificates = new();
    private CloudApp? _cloud;

    private CloudApp Cloud => _cloud!;

    public async Task InitializeAsync()
    {
        int port = CloudApp.FreePort();
        _cloud = await CloudApp.StartAsync(settings =>
        {
            settings["Kestrel:Endpoints:Grpc:Url"] = $"https://127.0.0.1:{port}";
            settings["Kestrel:Endpoints:Grpc:Certificate:Path"] = _certificates.ServerPfx;
            settings["Kestrel:Endpoints:Grpc:Certificate:Password"] = _certificates.Password;
            settings["Auth:ClientCertificates:Enabled"] = "true";
            settings["Auth:ClientCertificates:Mode"] = "Require";
            settings["Auth:ClientCertificates:TrustedCaFiles:0"] = _certificates.DeviceCaPem;
        });
    }

    public async Task DisposeAsync()
    {
        if (_cloud is not null)
        {
            await _cloud.DisposeAsync();
        }
    }

    public void Dispose() => _certificates.Dispose();

    [Fact]
    public async Task Stream_CertificateFromTrustedCa_SessionOpensWithoutKey()
    {
        using X509Certificate2 device = TestCertificates.Issue(_certificates.DeviceCa, "device-7", TimeSpan.FromMinutes(-5), TimeSpan.FromDays(1));

        HelloAck ack = await OpenSessionAsync(device, key: null);

        Assert.False(string.IsNullOrEmpty(ack.SessionId));
        Assert.True(ack.MaxInFlight > 0);
    }

    [Fact]
    public async Task Stream_NoClientCertificate_Refused()
    {
        await AssertRefusedAtConnectionAsync(() => OpenSessionAsync(null, key: null));
    }

    [Fact]
    public async Task Stream_NoClientCertificateButEdgeKey_RefusedAtHandshake()
    {
        // Require mode: the key cannot replace the certificate, the connection itself is refused.
        await AssertRefusedAtConnectionAsync(() => OpenSessionAsync(null, CloudApp.EdgeKey));
    }

    [Fact]
    public async Task Stream_CertificateFromAnotherCa_Refused()
    {
        using X509Certificate2 rogue = TestCertificates.Issue(_certificates.RogueCa, "device-7", TimeSpan.FromMinutes(-5), TimeSpan.FromDays(1));

        await AssertRefusedAtConnectionAsync(() => OpenSessionAsync(rogue, key: null));
    }

    [Fact]
    public async Task Stream_UnpinnedSelfSignedCertificate_Refused()
    {
        using X509Certificate2 selfSigned = TestCertificates.SelfSigned("device-7");

        await AssertRefusedAtConnectionAsync(() => OpenSessionAsync(selfSigned, key: null));
    }

    [Fact]
    public async Task Stream_ExpiredCertificateFromTrustedCa_Refused()
    {
        using X509Certificate2 expired = TestCertificates.Issue(_certificates.DeviceCa, "device-7", TimeSpan.FromDays(-10), TimeSpan.FromDays(-1));

        await AssertRefusedAtConnectionAsync(() => OpenSessionAsync(expired, key: null));
    }

    [Fact]
    public async Task Stream_TrustedCertificateWithWrongKey_Unauthenticated()
    {
        using X509Certificate2 device = TestCertificates.Issue(_certificates.DeviceCa, "device-7", TimeSpan.FromMinutes(-5), TimeSpan.FromDays(1));

        RpcException refused = await Assert.ThrowsAsync<RpcException>(() => OpenSessionAsync(device, "not-a-key-of-this-service"));

        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
    }

    [Fact]
    public async Task Generate_TrustedDeviceCertificate_PermissionDenied()
    {
        // A device certificate carries the edge role: the application API stays closed to it.
        using X509Certificate2 device = TestCertificates.Issue(_certificates.DeviceCa, "device-7", TimeSpan.FromMinutes(-5), TimeSpan.FromDays(1));
        using GrpcChannel channel = Channel(device);
        var client = new EdgeCloudVlm.Contracts.V1.Inference.InferenceClient(channel);

        RpcException refused = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using AsyncServerStreamingCall<GenerateResponse> call = client.Generate(new GenerateRequest { ModelId = "shapes-vqa", Prompt = "what shape?" });
            await call.ResponseStream.MoveNext(CancellationToken.None);
        });

        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
    }

    /// <summary>The TLS handshake fails: the client sees the connection fail (UNAVAILABLE, or the transport's own
    /// exception when the refusal arrives after the handshake, as TLS 1.3 allows), never an answer.</summary>
    private static async Task AssertRefusedAtConnectionAsync(Func<Task> call)
    {
        Exception refused = await Assert.ThrowsAnyAsync<Exception>(call);
        bool transport = refused is RpcException { StatusCode: StatusCode.Unavailable or StatusCode.Internal }
            || refused is HttpRequestException or IOException;
        Assert.True(transport, refused.ToString());
    }

    private async Task<HelloAck> OpenSessionAsync(X509Certificate2? certificate, string? key)
    {
        using GrpcChannel channel = Channel(certificate);
        var client = new EdgeIngest.EdgeIngestClient(channel);
        var headers = new Metadata();
        if (key is not null)
        {
            headers.Add("x-api-key", key);
        }

        using AsyncDuplexStreamingCall<EdgeMessage, CloudEvent> call = client.Stream(headers, deadline: DateTime.UtcNow.AddSeconds(30));
        await call.RequestStream.WriteAsync(new EdgeMessage { Hello = new Hello { DeviceId = "device-7", MaxInFlight = 4 } });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        await call.RequestStream.CompleteAsync();
        return call.ResponseStream.Current.HelloAck ?? throw new InvalidOperationException($"expected HelloAck, got {call.ResponseStream.Current}");
    }

    private GrpcChannel Channel(X509Certificate2? certificate)
    {
        var handler = new SocketsHttpHandler();
        string server = _certificates.ServerThumbprint;
        handler.SslOptions.RemoteCertificateValidationCallback = (_, presented, _, _) =>
            presented is not null && string.Equals(presented.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256), server, StringComparison.OrdinalIgnoreCase);
        if (certificate is not null)
        {
            handler.SslOptions.ClientCertificates = [certificate];
        }

        return GrpcChannel.ForAddress(Cloud.GrpcAddress, new GrpcChannelOptions { HttpHandler = handler });
    }
}
