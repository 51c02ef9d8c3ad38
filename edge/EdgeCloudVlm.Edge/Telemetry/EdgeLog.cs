using Microsoft.Extensions.Logging;

namespace EdgeCloudVlm.Edge.Telemetry;

/// <summary>The agent's log messages, source-generated so a disabled level costs nothing.</summary>
internal static partial class EdgeLog
{
    // Spool
    [LoggerMessage(Level = LogLevel.Error, Message = "Delivery ledger: skipped {Length} damaged bytes at offset {Offset} ({Kind}); a frame recorded there may be delivered again")]
    public static partial void LedgerDamaged(ILogger logger, long length, long offset, string kind);

    [LoggerMessage(Level = LogLevel.Information, Message = "Spool {Directory}: replaying {Pending} pending frames from {Segments} segments ({Skipped} damaged regions skipped)")]
    public static partial void SpoolReplay(ILogger logger, string directory, int pending, int segments, int skipped);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Spool segment {Path}: skipped {Length} bytes at offset {Offset}: {Reason}")]
    public static partial void SpoolDamaged(ILogger logger, string path, long length, long offset, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Spool full ({Bytes} of {MaxBytes} bytes): dropped segment {Segment} with {Count} unfinished frames (policy DropOldest)")]
    public static partial void SpoolDropped(ILogger logger, long bytes, long maxBytes, int segment, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Spool: frame {FrameId} is committed, but freeing its space failed and is retried later: {Error}")]
    public static partial void SpoolHousekeepingFailed(ILogger logger, string frameId, string error);

    // Results
    [LoggerMessage(Level = LogLevel.Warning, Message = "Results file {Path}: removed {Bytes} bytes past offset {Offset}, written by a delivery that did not commit before the agent stopped; that frame is delivered again")]
    public static partial void SinkTruncated(ILogger logger, string path, long bytes, long offset);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Result callback to {Url} for frame {FrameId} answered {Status} (attempt {Attempt})")]
    public static partial void CallbackStatus(ILogger logger, Uri url, string frameId, int status, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Result callback to {Url} for frame {FrameId} failed (attempt {Attempt}): {Error}")]
    public static partial void CallbackFailed(ILogger logger, Uri url, string frameId, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Result callback to {Url} for frame {FrameId} given up after {Attempts} attempts; the result is in the other sinks")]
    public static partial void CallbackGivenUp(ILogger logger, Uri url, string frameId, int attempts);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Frame {FrameId} from {Source}: {Status} {Answer}")]
    public static partial void Delivered(ILogger logger, string frameId, string source, string status, string? answer);

    [LoggerMessage(Level = LogLevel.Error, Message = "Delivering the result of frame {FrameId} failed; it will be asked for again in {Delay}: {Error}")]
    public static partial void DeliveryFailed(ILogger logger, string frameId, TimeSpan delay, string error);

    // Codebooks
    [LoggerMessage(Level = LogLevel.Information, Message = "Encoding with codebook {CodebookId} from {Source}")]
    public static partial void CodebookActive(ILogger logger, string codebookId, string source);

    [LoggerMessage(Level = LogLevel.Error, Message = "Codebook file {Path} refused: {Reason}")]
    public static partial void CodebookRefused(ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pulled codebook {CodebookId} ({Bytes} bytes) from the cloud into {Path}")]
    public static partial void CodebookPulled(ILogger logger, string codebookId, long bytes, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pulling codebook {CodebookId} failed (retrying in {Delay}): {Reason}")]
    public static partial void CodebookPullFailed(ILogger logger, string codebookId, TimeSpan delay, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No codebook to encode with yet: {Reason}; frames go as JPEG while fallback is allowed")]
    public static partial void NoCodebook(ILogger logger, string reason);

    // Vision head and encoding
    [LoggerMessage(Level = LogLevel.Warning, Message = "Execution provider {Provider} is not available ({Reason}); the vision head runs on CPU")]
    public static partial void ProviderFallback(ILogger logger, string provider, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "The vision head cannot run: {Reason}; frames go as JPEG while fallback is allowed")]
    public static partial void VisionHeadUnavailable(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Encoding frame {FrameId} failed at {Stage}: {Reason}")]
    public static partial void EncodeFailed(ILogger logger, string frameId, string stage, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Image {Source} rejected: {Reason}")]
    public static partial void ImageRejected(ILogger logger, string source, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing {Count} frames to the spool failed: {Reason}; they are refused and their inputs keep them")]
    public static partial void SpoolWriteFailed(ILogger logger, int count, string reason);

    // Uplink
    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to {Address}: session {SessionId}, window {Window}, {Queued} frames queued")]
    public static partial void Connected(ILogger logger, Uri address, string sessionId, int window, int queued);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingest session ended: {Reason}; reconnecting")]
    public static partial void SessionEnded(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} frames in flight go back to the queue and are resent after reconnecting")]
    public static partial void Requeued(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Connecting to the cloud failed (attempt {Attempt}): {Reason}; next attempt in {Delay}")]
    public static partial void ConnectFailed(ILogger logger, int attempt, string reason, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connecting to the cloud failed again (attempt {Attempt}); next attempt in {Delay}")]
    public static partial void ConnectRetry(ILogger logger, int attempt, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Information, Message = "Frame {FrameId}: retryable error from the cloud, resending later: {Reason}")]
    public static partial void FrameRetry(ILogger logger, string frameId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Frame {FrameId} failed in the cloud ({Code}): {Reason}")]
    public static partial void FrameFailed(ILogger logger, string frameId, string code, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Spooled frame {FrameId} cannot be read back ({Reason}); recorded as failed")]
    public static partial void UnreadableFrame(ILogger logger, string frameId, string reason);

    // Inputs
    [LoggerMessage(Level = LogLevel.Information, Message = "Watching {Folder} for images")]
    public static partial void Watching(ILogger logger, string folder);

    [LoggerMessage(Level = LogLevel.Warning, Message = "File-system events are not available for {Folder} ({Reason}); relying on rescans every {Interval}")]
    public static partial void WatcherUnavailable(ILogger logger, string folder, string reason, TimeSpan interval);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{File} not taken now: {Reason}; trying again in {Delay}")]
    public static partial void FileRefused(ILogger logger, string file, string reason, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not move {Path} out of the watched folder: {Reason}")]
    public static partial void MoveFailed(ILogger logger, string path, string reason);
}
