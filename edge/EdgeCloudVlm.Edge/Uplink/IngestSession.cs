using EdgeCloudVlm.Contracts.V1;
using Grpc.Core;

namespace EdgeCloudVlm.Edge.Uplink;

/// <summary>One live ingest stream. Writes are serialized (frames, acks and pings share the request stream).</summary>
public sealed class IngestSession : IDisposable
{
    private readonly AsyncDuplexStreamingCall<EdgeMessage, CloudEvent> _call;
    private readonly CancellationTokenSource _lifetime;
    private readonly SemaphoreSlim _write = new(1, 1);

    internal IngestSession(AsyncDuplexStreamingCall<EdgeMessage, CloudEvent> call, CancellationTokenSource lifetime, HelloAck helloAck)
    {
        _call = call;
        _lifetime = lifetime;
        HelloAck = helloAck;
    }

    public HelloAck HelloAck { get; }

    public CloudEvent Current => _call.ResponseStream.Current;

    public Task<bool> MoveNextAsync(CancellationToken cancellationToken) => _call.ResponseStream.MoveNext(cancellationToken);

    public async Task WriteAsync(EdgeMessage message, CancellationToken cancellationToken)
    {
        await _write.WaitAsync(cancellationToken);
        try
        {
            await _call.RequestStream.WriteAsync(message, cancellationToken);
        }
        finally
        {
            _write.Release();
        }
    }

    /// <summary>Half-closes politely (the cloud finishes running frames), then ends the call.</summary>
    public async Task CompleteAsync()
    {
        await _write.WaitAsync();
        try
        {
            await _call.RequestStream.CompleteAsync();
        }
        finally
        {
            _write.Release();
        }
    }

    public void Dispose()
    {
        _lifetime.Cancel();
        _call.Dispose();
        _lifetime.Dispose();
        _write.Dispose();
    }
}
