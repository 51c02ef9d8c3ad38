using EdgeCloudVlm.Contracts.V1;
using EdgeCloudVlm.Edge.Spool;
using EdgeCloudVlm.Edge.Telemetry;
using Microsoft.Extensions.Logging;

namespace EdgeCloudVlm.Edge.Results;

/// <summary>
/// Hands each frame's final outcome to the sinks exactly once: a frame id the ledger already holds is skipped; the
/// JSON Lines file is written and flushed, then the ledger commit (with the file offset after the line) is flushed;
/// only then may the spool let the frame's bytes go. When the commit fails the line is cut off again, so the retry
/// writes it once. Callbacks and standard output cannot be taken back, so across a
/// crash in that window they may see a result twice (callbacks carry the frame id as Idempotency-Key).
/// Deliveries are serialized: the ledger and the file advance together.
/// </summary>
public sealed class ResultDispatcher(
    FrameSpool spool,
    JsonLinesSink? jsonLines,
    bool console,
    Uri? callbackUrl,
    CallbackSink? callbacks,
    ResultWaiters waiters,
    EdgeTelemetry? telemetry,
    TimeProvider time,
    ILogger<ResultDispatcher> logger) : IDisposable
{
    private readonly SemaphoreSlim _serial = new(1, 1);

    /// <summary>Delivers one outcome.</summary>
    /// <returns>False when it had already been delivered (or the frame is no longer spooled), so nothing was written.</returns>
    /// <exception cref="IOException">The results file or the ledger could not be written; nothing was committed.</exception>
    public async Task<bool> DeliverAsync(SpoolFrame frame, OutcomeStatus status, Final? final, ErrorDetail? error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(frame);
        await _serial.WaitAsync(cancellationToken);
        try
        {
            string id = frame.FrameId;
            if (spool.IsDelivered(id) || (status != OutcomeStatus.Dropped && !spool.IsPending(id)))
            {
                return false;
            }

            ResultRecord record = Build(frame, status, final, error);
            string json = record.ToJson();
            long? sinkStart = jsonLines?.Length;
            SinkPosition? position = jsonLines?.Append(json);
            if (console)
            {
                await System.Console.Out.WriteLineAsync(json);
                await System.Console.Out.FlushAsync(cancellationToken);
            }

            if (callbacks is not null)
            {
                if (callbackUrl is not null)
                {
                    await callbacks.PostAsync(callbackUrl, id, json, cancellationToken);
                }

                if (Uri.TryCreate(frame.CallbackUrl, UriKind.Absolute, out Uri? own) && own != callbackUrl)
                {
                    await callbacks.PostAsync(own, id, json, cancellationToken);
                }
            }

            try
            {
                spool.Commit(id, status, position);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && jsonLines is not null && sinkStart is { } start)
            {
                // Not committed, so it will be delivered again: take the line back or the file would hold it twice.
                jsonLines.Truncate(start);
                throw;
            }

            telemetry?.Outcome(record.Status);
            telemetry?.Stage("result", record.CompletedAt - record.CreatedAt);
            waiters.Complete(record);
            EdgeLog.Delivered(logger, id, frame.Source, record.Status, record.Answer ?? record.Error?.Message);
            return true;
        }
        finally
        {
            _serial.Release();
        }
    }

    private ResultRecord Build(SpoolFrame frame, OutcomeStatus status, Final? final, ErrorDetail? error)
    {
        DateTimeOffset now = time.GetUtcNow();
        Frame wire = frame.Frame;
        long payload = frame.PayloadBytes;
        long fp16 = (long)wire.Fp16EquivalentBytes;
        return new ResultRecord
        {
            FrameId = frame.FrameId,
            DeviceId = wire.DeviceId,
            ModelId = wire.ModelId,
            Source = frame.Source,
            Question = wire.Question,
            Status = status switch
            {
                OutcomeStatus.Answered => "answered",
                OutcomeStatus.Dropped => "dropped",
                _ => "failed",
            },
            Answer = final?.Text,
            FinishReason = final is null ? null : final.FinishReason switch
            {
                FinishReason.Stop => "stop",
                FinishReason.Length => "length",
                _ => "unspecified",
            },
            Error = status switch
            {
                OutcomeStatus.Dropped => new ResultError("spool_full_dropped", "dropped by the spool's DropOldest policy before an answer arrived", false),
                OutcomeStatus.Failed when error is not null => new ResultError(ErrorCodeName(error.Code), error.Message, error.Retryable),
                _ => null,
            },
            CreatedAt = frame.CreatedAt,
            CompletedAt = now,
            LatencyMs = Math.Round((now - frame.CreatedAt).TotalMilliseconds, 3),
            Payload = frame.IsCodecFrame ? "codec" : "jpeg",
            BytesOnWire = payload,
            Fp16EquivalentBytes = fp16,
            CompressionRatio = frame.IsCodecFrame && payload > 0 && fp16 > 0 ? Math.Round((double)fp16 / payload, 2) : null,
            Usage = final?.Usage is { } u ? new ResultUsage(u.PromptTokens, u.CompletionTokens, u.ImageTokens) : null,
            EdgeMs = new EdgeStageMs(Ms(frame.Timings.Decode), Ms(frame.Timings.Preprocess), Ms(frame.Timings.Vision), Ms(frame.Timings.Encode)),
        };
    }

    public void Dispose()
    {
        _serial.Dispose();
        jsonLines?.Dispose();
    }

    private static double Ms(TimeSpan time) => Math.Round(time.TotalMilliseconds, 3);

    internal static string ErrorCodeName(ErrorCode code) => code switch
    {
        ErrorCode.InvalidFrame => "invalid_frame",
        ErrorCode.UnknownCodebook => "unknown_codebook",
        ErrorCode.UnknownModel => "unknown_model",
        ErrorCode.InvalidImage => "invalid_image",
        ErrorCode.LimitExceeded => "limit_exceeded",
        ErrorCode.Overloaded => "overloaded",
        ErrorCode.DeadlineExceeded => "deadline_exceeded",
        ErrorCode.Cancelled => "cancelled",
        ErrorCode.Unauthenticated => "unauthenticated",
        ErrorCode.PermissionDenied => "permission_denied",
        _ => "internal",
    };
}
