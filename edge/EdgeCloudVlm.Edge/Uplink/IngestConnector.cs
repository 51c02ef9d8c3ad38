using System.Security.Cryptography.X509Certificates;
using EdgeCloudVlm.Contracts.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;

namespace EdgeCloudVlm.Edge.Uplink;

/// <summary>
/// Owns the gRPC channel to the cloud (one HTTP/2 connection with keepalive pings, reused across reconnects) and
/// opens ingest sessions: the stream, Hello, and the HelloAck that says the session is live.
/// </summary>
public sealed class IngestConnector : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly UplinkOptions _options;

    public IngestConnector(UplinkOptions options, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        var handler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = options.KeepAlivePingDelay,
            KeepAlivePingTimeout = options.KeepAlivePingTimeout,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = options.ConnectTimeout,
        };
        if (LoadClientCertificate(options) is { } certificate)
        {
            handler.SslOptions.ClientCertificates = [certificate];
        }

        _channel = GrpcChannel.ForAddress(options.Address!, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            LoggerFactory = loggerFactory,
            MaxReceiveMessageSize = 16 * 1024 * 1024,
        });
        Ingest = new EdgeIngest.EdgeIngestClient(_channel);
        Codebooks = new Contracts.V1.Codebooks.CodebooksClient(_channel);
    }

    public Uri Address => _options.Address!;

    public EdgeIngest.EdgeIngestClient Ingest { get; }

    public Contracts.V1.Codebooks.CodebooksClient Codebooks { get; }

    /// <summary>The credential headers every call carries.</summary>
    public Metadata CredentialHeaders()
    {
        var headers = new Metadata();
        if (!string.IsNullOrEmpty(_options.ApiKey))
        {
            if (string.Equals(_options.ApiKeyHeader, "x-api-key", StringComparison.OrdinalIgnoreCase))
            {
                headers.Add("x-api-key", _options.ApiKey);
            }
            else
            {
                headers.Add("authorization", "Bearer " + _options.ApiKey);
            }
        }

        return headers;
    }

    /// <summary>
    /// Opens a stream, sends Hello and waits for HelloAck. <paramref name="attemptToken"/> bounds this handshake only;
    /// the session lives until <paramref name="sessionToken"/> or a failure.
    /// </summary>
    /// <exception cref="RpcException">The cloud refused (Unauthenticated, PermissionDenied) or could not be reached.</exception>
    /// <exception cref="UplinkSessionException">The cloud answered Hello with an error.</exception>
    public async Task<IngestSession> ConnectAsync(Hello hello, CancellationToken attemptToken, CancellationToken sessionToken)
    {
        ArgumentNullException.ThrowIfNull(hello);
        var lifetime = CancellationTokenSource.CreateLinkedTokenSource(sessionToken);
        AsyncDuplexStreamingCall<EdgeMessage, CloudEvent> call = Ingest.Stream(new CallOptions(CredentialHeaders(), cancellationToken: lifetime.Token));
        try
        {
            // A handshake that outlives its attempt is abandoned: cancelling the lifetime ends the call.
            using CancellationTokenRegistration abandon = attemptToken.Register(static state => ((CancellationTokenSource)state!).Cancel(), lifetime);
            try
            {
                await call.RequestStream.WriteAsync(new EdgeMessage { Hello = hello }, attemptToken);
            }
            catch (Exception ex) when (ex is RpcException or InvalidOperationException or IOException)
            {
                // A call the server refused at once (401, 403) can fail the write before its status has been read;
                // the status says why, the failed write does not.
                if (await StatusOfFailedCallAsync(call) is { } refused)
                {
                    throw refused;
                }

                throw;
            }

            if (!await call.ResponseStream.MoveNext(attemptToken))
            {
                throw new UplinkSessionException("the cloud closed the ingest stream before answering Hello");
            }

            CloudEvent first = call.ResponseStream.Current;
            return first.KindCase switch
            {
                CloudEvent.KindOneofCase.HelloAck => new IngestSession(call, lifetime, first.HelloAck),
                CloudEvent.KindOneofCase.Error => throw new UplinkSessionException($"the cloud refused the session: {first.Error.Message}", first.Error),
                _ => throw new UplinkSessionException($"the cloud answered Hello with {first.KindCase} instead of HelloAck"),
            };
        }
        catch
        {
            call.Dispose();
            lifetime.Dispose();
            throw;
        }
    }

    public void Dispose() => _channel.Dispose();

    private static async Task<RpcException?> StatusOfFailedCallAsync(AsyncDuplexStreamingCall<EdgeMessage, CloudEvent> call)
    {
        try
        {
            await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (RpcException ex) when (ex.StatusCode is not StatusCode.Cancelled)
        {
            return ex;
        }
        catch (Exception ex) when (ex is RpcException or TimeoutException or InvalidOperationException or IOException)
        {
        }

        return null;
    }

    private static X509Certificate2? LoadClientCertificate(UplinkOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ClientCertificatePath))
        {
            return null;
        }

        string path = options.ClientCertificatePath;
        if (!string.IsNullOrWhiteSpace(options.ClientKeyPath))
        {
            return string.IsNullOrEmpty(options.ClientCertificatePassword)
                ? X509Certificate2.CreateFromPemFile(path, options.ClientKeyPath)
                : X509Certificate2.CreateFromEncryptedPemFile(path, options.ClientCertificatePassword, options.ClientKeyPath);
        }

        return X509CertificateLoader.LoadPkcs12FromFile(path, options.ClientCertificatePassword);
    }
}
