using EdgeCloudVlm.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;

namespace EdgeCloudVlm.Cloud.Tests.Support;

/// <summary>An edge's side of one ingest stream: opens it with Hello, sends messages, and lets a test wait for the
/// events of a frame up to its Final or Error.</summary>
internal sealed class IngestSessionClient : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);
    private readonly AsyncDuplexStreamingCall<EdgeMessage, CloudEvent> _call;
    private readonly List<CloudEvent> _events = [];
    private readonly Lock _lock = new();
    private TaskCompletionSource _pulse = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _ended;
    private Task _reader = Task.CompletedTask;

    private IngestSessionClient(AsyncDuplexStreamingCall<EdgeMessage, CloudEvent> call, HelloAck ack)
    {
        _call = call;
        HelloAck = ack;
    }

    public HelloAck HelloAck { get; }

    /// <summary>Every event after the HelloAck, in arrival order.</summary>
    public IReadOnlyList<CloudEvent> Events
    {
        get
        {
            lock (_lock)
            {
                return [.. _events];
            }
        }
    }

    public static async Task<IngestSessionClient> OpenAsync(EdgeIngest.EdgeIngestClient client, string deviceId = "camera-1", uint maxInFlight = 8)
    {
        AsyncDuplexStreamingCall<EdgeMessage, CloudEvent> call = client.Stream(deadline: DateTime.UtcNow.AddMinutes(5));
        await call.RequestStream.WriteAsync(new EdgeMessage
        {
            Hello = new Hello { DeviceId = deviceId, AgentVersion = "test", MaxInFlight = maxInFlight },
        });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(CloudEvent.KindOneofCase.HelloAck, call.ResponseStream.Current.KindCase);
        var session = new IngestSessionClient(call, call.ResponseStream.Current.HelloAck);
        session._reader = Task.Run(session.ReadAsync);
        return session;
    }

    public static Frame CodecFrame(string frameId, DemoModel model, byte[] frame, string question, string? codebookId = null) => new()
    {
        FrameId = frameId,
        DeviceId = "camera-1",
        ModelId = model.Id,
        CodebookId = codebookId ?? model.Codebook.Id.ToString(),
        CodecFrame = ByteString.CopyFrom(frame),
        Question = question,
        Fp16EquivalentBytes = (ulong)(model.Tokens * model.Dim * 2),
    };

    public Task SendAsync(EdgeMessage message) => _call.RequestStream.WriteAsync(message);

    public Task SendAsync(Frame frame) => SendAsync(new EdgeMessage { Frame = frame });

    /// <summary>Sends a frame and returns its events from the send up to its next Final or Error.</summary>
    public async Task<List<CloudEvent>> AskAsync(Frame frame)
    {
        int before = Terminals(frame.FrameId);
        await SendAsync(frame);
        List<CloudEvent> all = await WaitForAsync(frame.FrameId, before + 1);
        int skip = 0;
        for (int seen = 0; seen < before; skip++)
        {
            if (IsTerminal(all[skip]))
            {
                seen++;
            }
        }

        return all[skip..];
    }

    /// <summary>Waits until <paramref name="frameId"/> has <paramref name="terminals"/> Finals or Errors; returns all its events.</summary>
    public async Task<List<CloudEvent>> WaitForAsync(string frameId, int terminals = 1)
    {
        while (true)
        {
            Task pulse;
            lock (_lock)
            {
                List<CloudEvent> events = _events.Where(e => e.FrameId == frameId).ToList();
                if (events.Count(IsTerminal) >= terminals)
                {
                    return events;
                }

                Assert.False(_ended, $"the stream ended before frame {frameId} was answered");
                pulse = _pulse.Task;
            }

            await pulse.WaitAsync(Timeout);
        }
    }

    /// <summary>Waits until <paramref name="frameId"/> has been accepted.</summary>
    public async Task WaitForAcceptedAsync(string frameId)
    {
        while (true)
        {
            Task pulse;
            lock (_lock)
            {
                if (_events.Any(e => e.FrameId == frameId && e.KindCase == CloudEvent.KindOneofCase.Accepted))
                {
                    return;
                }

                Assert.False(_ended, $"the stream ended before frame {frameId} was accepted");
                pulse = _pulse.Task;
            }

            await pulse.WaitAsync(Timeout);
        }
    }

    /// <summary>Waits for a session-level event (empty frame id) of <paramref name="kind"/>.</summary>
    public async Task<CloudEvent> WaitForSessionEventAsync(CloudEvent.KindOneofCase kind)
    {
        while (true)
        {
            Task pulse;
            lock (_lock)
            {
                if (_events.FirstOrDefault(e => e.FrameId.Length == 0 && e.KindCase == kind) is { } found)
                {
                    return found;
                }

                Assert.False(_ended, $"the stream ended without a {kind}");
                pulse = _pulse.Task;
            }

            await pulse.WaitAsync(Timeout);
        }
    }

    public Task CompleteAsync() => _call.RequestStream.CompleteAsync();

    /// <summary>Waits for the server to end the call and returns its status.</summary>
    public async Task<Status> EndAsync()
    {
        await _reader.WaitAsync(Timeout);
        return _call.GetStatus();
    }

    public async ValueTask DisposeAsync()
    {
        _call.Dispose();
        await _reader;
    }

    public static bool IsTerminal(CloudEvent e) => e.KindCase is CloudEvent.KindOneofCase.Final or CloudEvent.KindOneofCase.Error;

    private int Terminals(string frameId)
    {
        lock (_lock)
        {
            return _events.Count(e => e.FrameId == frameId && IsTerminal(e));
        }
    }

    private async Task ReadAsync()
    {
        try
        {
            await foreach (CloudEvent cloudEvent in _call.ResponseStream.ReadAllAsync())
            {
                lock (_lock)
                {
                    _events.Add(cloudEvent);
                    Pulse();
                }
            }
        }
        catch (RpcException)
        {
            // The status is read with GetStatus.
        }
        catch (ObjectDisposedException)
        {
            // DisposeAsync disposed the call while a read was pending: the session is over.
        }
        finally
        {
            lock (_lock)
            {
                _ended = true;
                Pulse();
            }
        }
    }

    private void Pulse()
    {
        TaskCompletionSource old = _pulse;
        _pulse = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        old.TrySetResult();
    }
}
