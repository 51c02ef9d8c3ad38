using System.Diagnostics;
using EdgeCloudVlm.Contracts.V1;
using EdgeCloudVlm.Edge.Codebooks;
using EdgeCloudVlm.Edge.Hosting;
using EdgeCloudVlm.Edge.Pipeline;
using EdgeCloudVlm.Edge.Results;
using EdgeCloudVlm.Edge.Spool;
using EdgeCloudVlm.Edge.State;
using EdgeCloudVlm.Edge.Telemetry;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;

namespace EdgeCloudVlm.Edge.Uplink;

/// <summary>
/// One long-lived ingest stream per device. Connects through <see cref="ConnectPipeline"/>; while connected, sends
/// spooled frames in order within the in-flight window, hands Finals and terminal Errors to the
/// <see cref="OutcomeQueue"/>, resends retryable failures later, and acknowledges committed frames. When the stream
/// breaks, frames in flight go back to the queue and are resent on the next session (the cloud de-duplicates by id).
/// </summary>
public sealed class UplinkService(
    IngestConnector connector,
    SendScheduler scheduler,
    FrameSpool spool,
    OutcomeQueue outcomes,
    AckQueue acks,
    CodebookStore codebooks,
    VisionHead head,
    IOptions<UplinkOptions> uplinkOptions,
    IOptions<EdgeOptions> edgeOptions,
    AgentStatus status,
    EdgeTelemetry telemetry,
    TimeProvider time,
    ILogger<UplinkService> logger) : BackgroundService
{
    private readonly UplinkOptions _options = uplinkOptions.Value;
    private readonly Dictionary<string, long> _sentAt = new(StringComparer.Ordinal);
    private readonly Lock _sentGate = new();
    private string? _lastFailure;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        telemetry.ObserveLink(() => status.Link == LinkState.Connected ? 1 : 0, () => scheduler.InFlight);
        scheduler.Enqueue(spool.PendingEntries());
        ResiliencePipeline pipeline = ConnectPipeline.Build(_options, time, OnAttemptFailed, open =>
        {
            if (open)
            {
                status.SetLink(LinkState.CircuitOpen, $"{_options.BreakerMinimumThroughput} connection attempts failed; pausing {_options.BreakerBreakDuration}");
            }
        });

        while (!stoppingToken.IsCancellationRequested)
        {
            IngestSession session;
            try
            {
                status.SetLink(status.Link is LinkState.Unauthorized or LinkState.CircuitOpen ? status.Link : LinkState.Connecting);
                session = await pipeline.ExecuteAsync(
                    async attempt => await connector.ConnectAsync(Hello(), attempt, stoppingToken),
                    stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }

            telemetry.ConnectAttempt("connected");
            _lastFailure = null;
            int window = Math.Max(1, Math.Min(_options.MaxInFlight, session.HelloAck.MaxInFlight == 0 ? _options.MaxInFlight : (int)session.HelloAck.MaxInFlight));
            scheduler.MaxInFlight = window;
            status.SetLink(LinkState.Connected, $"session {session.HelloAck.SessionId}, window {window}", session.HelloAck.SessionId);
            EdgeLog.Connected(logger, connector.Address, session.HelloAck.SessionId, window, scheduler.Queued);
            try
            {
                await RunSessionAsync(session, stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                (LinkState state, string message) = Describe(ex);
                EdgeLog.SessionEnded(logger, message);
                status.RecordError("uplink", message);
                status.SetLink(state, message);
            }
            finally
            {
                if (stoppingToken.IsCancellationRequested)
                {
                    try
                    {
                        await session.CompleteAsync().WaitAsync(TimeSpan.FromSeconds(2), time, CancellationToken.None);
                    }
                    catch (Exception ex) when (ex is RpcException or TimeoutException or InvalidOperationException or IOException)
                    {
                        // Shutting down anyway.
                    }
                }

                session.Dispose();
                int requeued = scheduler.ResetInFlight();
                lock (_sentGate)
                {
                    _sentAt.Clear();
                }

                if (requeued > 0)
                {
                    EdgeLog.Requeued(logger, requeued);
                }
            }
        }

        status.SetLink(LinkState.Disconnected, "agent stopping");
    }

    private Hello Hello()
    {
        var hello = new Hello
        {
            DeviceId = edgeOptions.Value.DeviceId,
            AgentVersion = EdgeOptions.AgentVersion,
            MaxInFlight = (uint)_options.MaxInFlight,
        };
        hello.ModelIds.Add(string.IsNullOrWhiteSpace(edgeOptions.Value.ModelId) ? head.Manifest.Name : edgeOptions.Value.ModelId);
        hello.CodebookIds.AddRange(codebooks.HeldIds());
        return hello;
    }

    private async Task RunSessionAsync(IngestSession session, CancellationToken stoppingToken)
    {
        using var sessionEnd = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        CancellationToken token = sessionEnd.Token;
        Task send = SendLoopAsync(session, token);
        Task receive = ReceiveLoopAsync(session, token);
        Task control = ControlLoopAsync(session, token);
        Task first = await Task.WhenAny(send, receive, control);
        await sessionEnd.CancelAsync();
        try
        {
            await Task.WhenAll(send, receive, control);
        }
        catch when (!first.IsFaulted)
        {
            // The first loop ended the session; the others only saw the cancellation.
        }

        await first;
    }

    private async Task SendLoopAsync(IngestSession session, CancellationToken token)
    {
        uint maxFrameBytes = session.HelloAck.MaxFrameBytes;
        while (true)
        {
            SpoolEntry entry = await scheduler.TakeNextAsync(token);
            SpoolFrame frame;
            try
            {
                frame = spool.Read(entry);
            }
            catch (IOException ex)
            {
                HandleUnreadable(entry, ex);
                continue;
            }

            if (maxFrameBytes > 0 && frame.PayloadBytes > maxFrameBytes)
            {
                scheduler.OutcomeReceived(entry.FrameId);
                await outcomes.EnqueueAsync(new FrameOutcome(entry.FrameId, OutcomeStatus.Failed, null, new ErrorDetail
                {
                    Code = ErrorCode.LimitExceeded,
                    Message = $"the frame's {frame.PayloadBytes} payload bytes exceed the cloud's limit of {maxFrameBytes} (HelloAck.max_frame_bytes)",
                }), token);
                continue;
            }

            using (Activity? activity = StartSendActivity(frame))
            {
                long start = time.GetTimestamp();
                await session.WriteAsync(new EdgeMessage { Frame = frame.Frame }, token);
                telemetry.Stage("send", time.GetElapsedTime(start));
                lock (_sentGate)
                {
                    _sentAt[entry.FrameId] = start;
                }
            }

            telemetry.Sent(frame.PayloadBytes, (long)frame.Frame.Fp16EquivalentBytes, frame.IsCodecFrame);
        }
    }

    private async Task ReceiveLoopAsync(IngestSession session, CancellationToken token)
    {
        while (await session.MoveNextAsync(token))
        {
            CloudEvent cloudEvent = session.Current;
            string id = cloudEvent.FrameId;
            switch (cloudEvent.KindCase)
            {
                case CloudEvent.KindOneofCase.Final:
                    RecordRoundTrip(id);
                    if (scheduler.OutcomeReceived(id))
                    {
                        await outcomes.EnqueueAsync(new FrameOutcome(id, OutcomeStatus.Answered, cloudEvent.Final, null), token);
                    }

                    break;
                case CloudEvent.KindOneofCase.Error when string.IsNullOrEmpty(id):
                    throw new UplinkSessionException($"the cloud ended the session: {cloudEvent.Error.Message}", cloudEvent.Error);
                case CloudEvent.KindOneofCase.Error when cloudEvent.Error.Retryable:
                    RecordRoundTrip(id);
                    scheduler.Retry(id, cloudEvent.Error.RetryAfter?.ToTimeSpan() ?? _options.RetryableFrameDelay);
                    EdgeLog.FrameRetry(logger, id, cloudEvent.Error.Message);
                    break;
                case CloudEvent.KindOneofCase.Error:
                    RecordRoundTrip(id);
                    EdgeLog.FrameFailed(logger, id, cloudEvent.Error.Code.ToString(), cloudEvent.Error.Message);
                    if (scheduler.OutcomeReceived(id))
                    {
                        await outcomes.EnqueueAsync(new FrameOutcome(id, OutcomeStatus.Failed, null, cloudEvent.Error), token);
                    }

                    break;
                case CloudEvent.KindOneofCase.Pong:
                    if (cloudEvent.Pong.PingSentAt is { } sent)
                    {
                        telemetry.RoundTrip(time.GetUtcNow() - sent.ToDateTimeOffset());
                    }

                    break;
                default:
                    break;
            }
        }

        throw new UplinkSessionException("the cloud closed the ingest stream");
    }

    private async Task ControlLoopAsync(IngestSession session, CancellationToken token)
    {
        TimeSpan tick = _options.AckInterval < _options.PingInterval ? _options.AckInterval : _options.PingInterval;
        using var timer = new PeriodicTimer(tick, time);
        long lastPing = time.GetTimestamp();
        ulong nonce = 0;
        while (await timer.WaitForNextTickAsync(token))
        {
            IReadOnlyList<string> ids = acks.Drain(256);
            if (ids.Count > 0)
            {
                var ack = new Ack();
                ack.FrameIds.AddRange(ids);
                await session.WriteAsync(new EdgeMessage { Ack = ack }, token);
            }

            if (time.GetElapsedTime(lastPing) >= _options.PingInterval)
            {
                lastPing = time.GetTimestamp();
                await session.WriteAsync(new EdgeMessage { Ping = new Ping { Nonce = ++nonce, SentAt = Timestamp.FromDateTimeOffset(time.GetUtcNow()) } }, token);
            }
        }
    }

    private void HandleUnreadable(SpoolEntry entry, IOException ex)
    {
        if (!spool.IsPending(entry.FrameId))
        {
            scheduler.Completed(entry.FrameId);
            return;
        }

        // The record was flushed and has since gone bad on disk: it can never be sent. Record it as failed so it
        // stops being retried; there is no frame left to describe in the sinks.
        EdgeLog.UnreadableFrame(logger, entry.FrameId, ex.Message);
        status.RecordError("spool", $"frame {entry.FrameId} unreadable: {ex.Message}");
        spool.Commit(entry.FrameId, OutcomeStatus.Failed, null);
        scheduler.Completed(entry.FrameId);
    }

    private void RecordRoundTrip(string frameId)
    {
        long start;
        lock (_sentGate)
        {
            if (!_sentAt.Remove(frameId, out start))
            {
                return;
            }
        }

        telemetry.Stage("round_trip", time.GetElapsedTime(start));
    }

    private static Activity? StartSendActivity(SpoolFrame frame)
    {
        ActivityContext parent = default;
        if (frame.Frame.TraceContext.TryGetValue("traceparent", out string? traceParent))
        {
            frame.Frame.TraceContext.TryGetValue("tracestate", out string? traceState);
            _ = ActivityContext.TryParse(traceParent, traceState, isRemote: false, out parent);
        }

        Activity? activity = EdgeTelemetry.ActivitySource.StartActivity("edge.send", ActivityKind.Client, parent);
        activity?.SetTag("edgecloudvlm.frame_id", frame.FrameId);
        activity?.SetTag("edgecloudvlm.payload_bytes", frame.PayloadBytes);
        return activity;
    }

    private void OnAttemptFailed(ConnectAttemptFailure failure)
    {
        telemetry.ConnectAttempt("failed");
        (LinkState state, string message) = Describe(failure.Exception);
        status.SetLink(state, message);
        if (!string.Equals(message, _lastFailure, StringComparison.Ordinal))
        {
            // A new kind of failure is logged loudly once; repeats of the same one stay at debug level.
            _lastFailure = message;
            status.RecordError("uplink", message);
            EdgeLog.ConnectFailed(logger, failure.Attempt, message, failure.NextDelay);
        }
        else
        {
            EdgeLog.ConnectRetry(logger, failure.Attempt, failure.NextDelay);
        }
    }

    /// <summary>A failure in words an operator can act on.</summary>
    internal (LinkState State, string Message) Describe(Exception? ex) => UplinkErrors.Describe(ex, connector.Address);
}
