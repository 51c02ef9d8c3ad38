using EdgeCloudVlm.Contracts.V1;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace EdgeCloudVlm.Benchmarks.EndToEnd;

/// <summary>
/// One device's ingest session as the edge agent holds it: its own HTTP/2 connection (its own TCP flow over the shaped
/// link), one long-lived <c>EdgeIngest.Stream</c>, Hello first, then one frame at a time, each awaited to its Final.
/// </summary>
internal sealed class IngestLink : IAsyncDisposable
{
    private readonly GrpcChannel _channel;
    private readonly AsyncDuplexStreamingCall<EdgeMessage, CloudEvent> _call;

    private IngestLink(GrpcChannel channel, AsyncDuplexStreamingCall<EdgeMessage, CloudEvent> call)
    {
        _channel = channel;
        _call = call;
    }

    public static async Task<IngestLink> OpenAsync(string address, string apiKey, Hello hello, CancellationToken cancellationToken)
    {
        GrpcChannel channel = CreateChannel(address);
        try
        {
            var client = new EdgeIngest.EdgeIngestClient(channel);
            AsyncDuplexStreamingCall<EdgeMessage, CloudEvent> call = client.Stream(
                new Metadata { { "authorization", "Bearer " + apiKey } }, cancellationToken: cancellationToken);
            await call.RequestStream.WriteAsync(new EdgeMessage { Hello = hello }, cancellationToken);
            if (!await call.ResponseStream.MoveNext(cancellationToken))
            {
                throw new InvalidOperationException("the cloud closed the ingest stream before HelloAck");
            }

            CloudEvent first = call.ResponseStream.Current;
            if (first.KindCase != CloudEvent.KindOneofCase.HelloAck)
            {
                throw new InvalidOperationException($"expected HelloAck, got {first}");
            }

            return new IngestLink(channel, call);
        }
        catch
        {
            channel.Dispose();
            throw;
        }
    }

    /// <summary>Polls the standard health service until the cloud reports SERVING (models and codebooks loaded).</summary>
    public static async Task WaitUntilServingAsync(string address, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using GrpcChannel channel = CreateChannel(address);
        var health = new Health.HealthClient(channel);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            try
            {
                HealthCheckResponse response = await health.CheckAsync(new HealthCheckRequest(), cancellationToken: deadline.Token);
                if (response.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return;
                }
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.NotFound)
            {
                // Not listening or not registered yet.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), deadline.Token);
        }
    }

    /// <summary>Sends the frame and waits for its Final; an Error event is an exception.</summary>
    public async Task<Final> AskAsync(Frame frame, CancellationToken cancellationToken)
    {
        await _call.RequestStream.WriteAsync(new EdgeMessage { Frame = frame }, cancellationToken);
        while (await _call.ResponseStream.MoveNext(cancellationToken))
        {
            CloudEvent cloudEvent = _call.ResponseStream.Current;
            if (cloudEvent.FrameId != frame.FrameId && !string.IsNullOrEmpty(cloudEvent.FrameId))
            {
                continue;
            }

            switch (cloudEvent.KindCase)
            {
                case CloudEvent.KindOneofCase.Final:
                    return cloudEvent.Final;
                case CloudEvent.KindOneofCase.Error:
                    throw new InvalidOperationException($"frame {frame.FrameId} failed: {cloudEvent.Error.Code}: {cloudEvent.Error.Message}");
            }
        }

        throw new InvalidOperationException($"the cloud ended the ingest stream before answering frame {frame.FrameId}");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            // Half-close and let the cloud end the call, so the stream closes cleanly rather than being reset.
            await _call.RequestStream.CompleteAsync();
            using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            while (await _call.ResponseStream.MoveNext(drain.Token))
            {
            }
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException or InvalidOperationException)
        {
            // Measurements are done; how the call ends does not change them.
        }
        finally
        {
            _call.Dispose();
            _channel.Dispose();
        }
    }

    private static GrpcChannel CreateChannel(string address) => GrpcChannel.ForAddress(address, new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(20),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
        },
    });
}
