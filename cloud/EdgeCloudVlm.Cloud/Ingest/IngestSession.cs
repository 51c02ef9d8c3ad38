using System.Collections.Concurrent;
using System.Diagnostics;
using EdgeCloudVlm.Cloud.Engine;
using EdgeCloudVlm.Cloud.Frames;
using EdgeCloudVlm.Cloud.Grpc;
using EdgeCloudVlm.Cloud.Idempotency;
using EdgeCloudVlm.Cloud.Models;
using EdgeCloudVlm.Cloud.Requests;
using EdgeCloudVlm.Cloud.Telemetry;
using EdgeCloudVlm.Contracts.V1;
using EdgeCloudVlm.Inference.Generation;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace EdgeCloudVlm.Cloud.Ingest;

/// <summary>
/// One edge device's ingest stream. After Hello, frames run concurrently (up to the session's in-flight limit) and are
/// answered independently with Accepted, deltas and a Final or an Error; a bad frame gets its own Error and the stream
/// goes on. A frame id already seen from the device is answered from the idempotency store (or waits for the first
/// run), so a retry after a lost answer costs nothing. Responses from concurrent frames are serialized through one
/// writer. When the edge half-closes, running frames finish before the call ends; when the call is aborted they are
/// cancelled and their engine slots freed.
/// </summary>
internal sealed partial class IngestSession : IDisposable
{
    private static readonly ParamNames FrameNames = new("question", "parameters.max_tokens", "parameters.temperature",
        "parameters.top_p", "parameters.top_k", "parameters.stop");

    private readonly IngestFrameServices _services;
    private readonly IServerStreamWriter<CloudEvent> _writer;
    private readonly CancellationToken _aborted;
    private readonly string? _callerName;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<Task, byte> _running = new();
    private string _deviceId = "";
    private int _maxInFlight;
    private int _inFlight;

    public IngestSession(IngestFrameServices services, IServerStreamWriter<CloudEvent> writer, ServerCallContext context, ILogger logger)
    {
        _services = services;
        _writer = writer;
        _aborted = context.CancellationToken;
        _callerName = context.GetHttpContext().User.Identity?.Name;
        _logger = logger;
    }

    public string SessionId { get; } = Guid.NewGuid().ToString("N");

    public async Task RunAsync(IAsyncStreamReader<EdgeMessage> requests)
    {
        if (!await requests.MoveNext(_aborted).ConfigureAwait(false))
        {
            return;
        }

        await OpenAsync(requests.Current).ConfigureAwait(false);
        try
        {
            while (await requests.MoveNext(_aborted).ConfigureAwait(false))
            {
                EdgeMessage message = requests.Current;
                switch (message.KindCase)
                {
                    case EdgeMessage.KindOneofCase.Frame when string.IsNullOrEmpty(message.Frame.FrameId):
                        await EndForFrameWithoutIdAsync(message.Frame).ConfigureAwait(false);
                        break;
                    case EdgeMessage.KindOneofCase.Frame:
                        Track(ProcessFrameAsync(message.Frame));
                        break;
                    case EdgeMessage.KindOneofCase.Ack:
                        foreach (string frameId in message.Ack.FrameIds)
                        {
                            _services.Outcomes.Forget(Key(frameId));
                        }

                        break;
                    case EdgeMessage.KindOneofCase.Ping:
                        await WriteAsync(new CloudEvent
                        {
                            Pong = new Pong
                            {
                                Nonce = message.Ping.Nonce,
                                PingSentAt = message.Ping.SentAt,
                                ServerTime = Timestamp.FromDateTimeOffset(_services.Time.GetUtcNow()),
                            },
                        }).ConfigureAwait(false);
                        break;
                    default:
                        LogIgnored(_logger, SessionId, message.KindCase);
                        break;
                }
            }
        }
        finally
        {
            // The edge half-closed (or the call broke): answer what is running before the call ends. On abort the
            // frames see the cancelled call token and end at once.
            await Task.WhenAll(_running.Keys).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A frame without an id cannot be answered (answers are matched to frames by id), so it is a protocol error: the
    /// session gets an Error with an empty frame id - which the protocol defines as ending the session - and the call
    /// ends with INVALID_ARGUMENT once the frames already running have been answered.
    /// </summary>
    private async Task EndForFrameWithoutIdAsync(Frame frame)
    {
        const string Problem = "a Frame with an empty frame_id cannot be answered: every frame needs a unique id; the session ends";
        LogNoFrameId(_logger, SessionId, _deviceId);
        var error = RequestError.Invalid(Problem, "frame_id");
        _services.Metrics.Request("ingest", _services.Catalog.TelemetryName(frame.ModelId), error);
        await WriteAsync(new CloudEvent { Error = GrpcErrors.ToErrorDetail(error) }).ConfigureAwait(false);
        throw new RpcException(new global::Grpc.Core.Status(StatusCode.InvalidArgument, Problem));
    }

    private async Task OpenAsync(EdgeMessage first)
    {
        string? problem = first.KindCase != EdgeMessage.KindOneofCase.Hello
            ? $"the first message of an ingest stream must be Hello, not {first.KindCase}"
            : string.IsNullOrEmpty(first.Hello.DeviceId) ? "Hello.device_id is required" : null;
        if (problem is not null)
        {
            var error = RequestError.Invalid(problem, "hello", "invalid_session");
            await WriteAsync(new CloudEvent { Error = GrpcErrors.ToErrorDetail(error) }).ConfigureAwait(false);
            throw new RpcException(new global::Grpc.Core.Status(StatusCode.InvalidArgument, problem));
        }

        if (_services.Options.RequireDeviceIdAsCallerName && !string.Equals(first.Hello.DeviceId, _callerName, StringComparison.Ordinal))
        {
            string denied = $"the credential of '{_callerName}' may not open a session for device '{first.Hello.DeviceId}'";
            var error = new RequestError(RequestErrorKind.PermissionDenied, denied) { Param = "hello.device_id", Code = "device_not_allowed" };
            await WriteAsync(new CloudEvent { Error = GrpcErrors.ToErrorDetail(error) }).ConfigureAwait(false);
            throw new RpcException(new global::Grpc.Core.Status(StatusCode.PermissionDenied, denied));
        }

        Hello hello = first.Hello;
        _deviceId = hello.DeviceId;
        int serverMax = _services.Options.MaxInFlight;
        _maxInFlight = hello.MaxInFlight > 0 ? (int)Math.Min(hello.MaxInFlight, (uint)serverMax) : serverMax;
        LogOpened(_logger, SessionId, _deviceId, hello.AgentVersion, _maxInFlight);
        await WriteAsync(new CloudEvent
        {
            HelloAck = new HelloAck
            {
                SessionId = SessionId,
                MaxFrameBytes = (uint)_services.Requests.Limits.MaxFrameBytes,
                MaxInFlight = (uint)_maxInFlight,
            },
        }).ConfigureAwait(false);
    }

    private void Track(Task task)
    {
        _running.TryAdd(task, 0);
        _ = task.ContinueWith(t => _running.TryRemove(t, out _), CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task ProcessFrameAsync(Frame frame)
    {
        // Leave the read loop at once: the frame's work runs beside the next messages.
        await Task.Yield();
        try
        {
            await AnswerAsync(frame).ConfigureAwait(false);
        }
        catch (Exception ex) when (_aborted.IsCancellationRequested && ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The stream is gone; nobody is left to answer.
        }
        catch (Exception ex)
        {
            // Writing the answer failed: the frame is lost on this stream, the edge resends it on the next one.
            LogFrameFault(_logger, ex, SessionId, frame.FrameId);
        }
    }

    private async Task AnswerAsync(Frame frame)
    {
        if (!string.IsNullOrEmpty(frame.DeviceId) && !string.Equals(frame.DeviceId, _deviceId, StringComparison.Ordinal))
        {
            await FailAsync(frame, new RequestError(RequestErrorKind.PermissionDenied,
                $"frame {frame.FrameId} names device '{frame.DeviceId}', but this session is device '{_deviceId}'")
            {
                Param = "device_id",
                Code = "device_mismatch",
            }).ConfigureAwait(false);
            return;
        }

        while (true)
        {
            IdempotencyClaim<Final> claim = _services.Outcomes.Claim(Key(frame.FrameId));
            switch (claim.State)
            {
                case ClaimState.Completed:
                    await ReplayAsync(frame, claim.Outcome!).ConfigureAwait(false);
                    return;
                case ClaimState.Pending:
                    await WriteAsync(new CloudEvent { FrameId = frame.FrameId, Accepted = new Accepted { Duplicate = true } }).ConfigureAwait(false);
                    if (await claim.Pending!.WaitAsync(_aborted).ConfigureAwait(false) is { } outcome)
                    {
                        _services.Metrics.Duplicate(_services.Catalog.TelemetryName(frame.ModelId));
                        await WriteAsync(new CloudEvent { FrameId = frame.FrameId, Final = outcome }).ConfigureAwait(false);
                        return;
                    }

                    // The first run gave up (its stream closed, or a retryable failure): run it here.
                    continue;
                default:
                    await RunOwnedAsync(frame, claim).ConfigureAwait(false);
                    return;
            }
        }
    }

    private async Task ReplayAsync(Frame frame, Final outcome)
    {
        _services.Metrics.Duplicate(_services.Catalog.TelemetryName(frame.ModelId));
        await WriteAsync(new CloudEvent { FrameId = frame.FrameId, Accepted = new Accepted { Duplicate = true } }).ConfigureAwait(false);
        await WriteAsync(new CloudEvent { FrameId = frame.FrameId, Final = outcome }).ConfigureAwait(false);
    }

    private async Task RunOwnedAsync(Frame frame, IdempotencyClaim<Final> claim)
    {
        bool stored = false;
        try
        {
            if (Interlocked.Increment(ref _inFlight) > _maxInFlight)
            {
                await FailAsync(frame, new RequestError(RequestErrorKind.LimitExceeded,
                    $"more than {_maxInFlight} frames are awaiting an answer on this session (HelloAck.max_in_flight)")
                {
                    Code = "too_many_frames_in_flight",
                    Retryable = true,
                    RetryAfter = TimeSpan.FromSeconds(1),
                }).ConfigureAwait(false);
                return;
            }

            Final final;
            try
            {
                final = await RunAsync(frame).ConfigureAwait(false);
            }
            catch (RequestErrorException ex)
            {
                await FailAsync(frame, ex.Error).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (!_aborted.IsCancellationRequested && ex is not OperationCanceledException)
            {
                LogFrameFault(_logger, ex, SessionId, frame.FrameId);
                await FailAsync(frame, new RequestError(RequestErrorKind.Internal, "the server failed to answer this frame")
                {
                    Code = "internal_error",
                }).ConfigureAwait(false);
                return;
            }

            _services.Outcomes.Complete(claim, final);
            stored = true;
            _services.Metrics.Request("ingest", _services.Catalog.TelemetryName(frame.ModelId), null);
            await WriteAsync(new CloudEvent { FrameId = frame.FrameId, Final = final }).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            if (!stored)
            {
                _services.Outcomes.Abandon(claim);
            }
        }
    }

    private async Task<Final> RunAsync(Frame frame)
    {
        long start = _services.Time.GetTimestamp();
        using Activity? activity = StartFrameActivity(frame);
        RequestError? error = _services.Catalog.TryGet(frame.ModelId, "model_id", out ServedModel? model);
        if (error is not null)
        {
            throw new RequestErrorException(error);
        }

        (EngineImage image, TimeSpan dequantize, long payloadBytes) = DecodePayload(frame, model!);
        error = _services.Requests.TryBuild(model!, image, frame.Question, ProtoMapping.ToSettings(frame.Parameters, FrameNames), null,
            out EngineRequest? request);
        if (error is not null)
        {
            throw new RequestErrorException(error);
        }

        await WriteAsync(new CloudEvent
        {
            FrameId = frame.FrameId,
            Accepted = new Accepted { QueuePosition = (uint)Math.Max(0, model!.Engine.Status.QueuedRequests) },
        }).ConfigureAwait(false);

        await foreach (GenerationDelta delta in EngineStream.RunAsync(model.Engine, request!, "fallback_jpeg", _aborted).ConfigureAwait(false))
        {
            if (delta.Text.Length > 0)
            {
                await WriteAsync(new CloudEvent
                {
                    FrameId = frame.FrameId,
                    Delta = new TokenDelta { Text = delta.Text, TokenIndex = (uint)Math.Max(0, delta.IsFinal ? delta.Index - 1 : delta.Index) },
                }).ConfigureAwait(false);
            }

            if (delta.Result is { } result)
            {
                return new Final
                {
                    Text = result.Text,
                    FinishReason = ProtoMapping.ToProto(result.FinishReason),
                    Usage = ProtoMapping.ToUsage(result),
                    Timings = ProtoMapping.ToTimings(result, dequantize, _services.Time.GetElapsedTime(start)),
                    BytesReceived = (ulong)payloadBytes,
                };
            }
        }

        throw new InvalidOperationException("the engine ended the answer without a result");
    }

    private (EngineImage Image, TimeSpan Dequantize, long PayloadBytes) DecodePayload(Frame frame, ServedModel model)
    {
        RequestLimitsOptions limits = _services.Requests.Limits;
        switch (frame.PayloadCase)
        {
            case Frame.PayloadOneofCase.CodecFrame:
            {
                ReadOnlyMemory<byte> bytes = frame.CodecFrame.Memory;
                if (bytes.Length > limits.MaxFrameBytes)
                {
                    _services.Metrics.Frame("aligned_vq", model.Id, bytes.Length, 0, FrameTooLarge(bytes.Length, limits, "codec_frame"));
                    throw new RequestErrorException(FrameTooLarge(bytes.Length, limits, "codec_frame"));
                }

                FrameDecodeResult decoded = _services.Frames.Decode(model, frame.CodebookId, bytes);
                return decoded.Error is null
                    ? (decoded.Image!, decoded.Elapsed, bytes.Length)
                    : throw new RequestErrorException(decoded.Error);
            }

            case Frame.PayloadOneofCase.FallbackJpeg:
            {
                ReadOnlyMemory<byte> bytes = frame.FallbackJpeg.Memory;
                RequestError? error = bytes.Length > limits.MaxFrameBytes
                    ? FrameTooLarge(bytes.Length, limits, "fallback_jpeg")
                    : _services.Requests.CheckImage(model, bytes.Span, "fallback_jpeg");
                _services.Metrics.Frame("jpeg", model.Id, bytes.Length, 0, error);
                return error is null
                    ? (EngineImage.FromEncoded(bytes), TimeSpan.Zero, bytes.Length)
                    : throw new RequestErrorException(error);
            }

            default:
                throw new RequestErrorException(RequestError.Invalid(
                    "the frame has no payload: set codec_frame (or fallback_jpeg)", "payload", "missing_payload"));
        }
    }

    private static RequestError FrameTooLarge(int length, RequestLimitsOptions limits, string param) =>
        new(RequestErrorKind.PayloadTooLarge, $"the {param} payload is {length} bytes; the limit is {limits.MaxFrameBytes} bytes (HelloAck.max_frame_bytes)")
        {
            Param = param,
            Code = "frame_too_large",
        };

    private static Activity? StartFrameActivity(Frame frame)
    {
        // Join the edge's trace when it sent one, so the cloud's spans sit under the device's capture.
        ActivityContext parent = default;
        if (frame.TraceContext.TryGetValue("traceparent", out string? traceParent))
        {
            frame.TraceContext.TryGetValue("tracestate", out string? traceState);
            _ = ActivityContext.TryParse(traceParent, traceState, isRemote: true, out parent);
        }

        Activity? activity = CloudTelemetry.ActivitySource.StartActivity("ingest frame", ActivityKind.Server, parent);
        activity?.SetTag("edgecloudvlm.frame_id", frame.FrameId);
        activity?.SetTag(CloudTelemetry.ModelTag, frame.ModelId);
        return activity;
    }

    private async Task FailAsync(Frame frame, RequestError error)
    {
        if (error.Kind == RequestErrorKind.Cancelled && _aborted.IsCancellationRequested)
        {
            return;
        }

        LogFrameRejected(_logger, SessionId, frame.FrameId, error.Kind, error.Message);
        _services.Metrics.Request("ingest", _services.Catalog.TelemetryName(frame.ModelId), error);
        await WriteAsync(new CloudEvent { FrameId = frame.FrameId, Error = GrpcErrors.ToErrorDetail(error) }).ConfigureAwait(false);
    }

    private async Task WriteAsync(CloudEvent cloudEvent)
    {
        await _writeLock.WaitAsync(_aborted).ConfigureAwait(false);
        try
        {
            await _writer.WriteAsync(cloudEvent, _aborted).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public void Dispose() => _writeLock.Dispose();

    private string Key(string frameId) => string.Concat(_deviceId, "\n", frameId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingest session {SessionId} opened by device {DeviceId} (agent {AgentVersion}), {MaxInFlight} frames in flight")]
    private static partial void LogOpened(ILogger logger, string sessionId, string deviceId, string agentVersion, int maxInFlight);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingest session {SessionId}: frame {FrameId} rejected ({Kind}): {Reason}")]
    private static partial void LogFrameRejected(ILogger logger, string sessionId, string frameId, RequestErrorKind kind, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingest session {SessionId} of device {DeviceId}: ended by a frame without frame_id")]
    private static partial void LogNoFrameId(ILogger logger, string sessionId, string deviceId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Ingest session {SessionId}: ignored a {Kind} message")]
    private static partial void LogIgnored(ILogger logger, string sessionId, EdgeMessage.KindOneofCase kind);

    [LoggerMessage(Level = LogLevel.Error, Message = "Ingest session {SessionId}: frame {FrameId} failed")]
    private static partial void LogFrameFault(ILogger logger, Exception exception, string sessionId, string frameId);
}
