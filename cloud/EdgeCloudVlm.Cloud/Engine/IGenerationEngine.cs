using EdgeCloudVlm.Inference;
using EdgeCloudVlm.Inference.Generation;

namespace EdgeCloudVlm.Cloud.Engine;

/// <summary>
/// One model's scheduler: admits requests into a bounded queue and runs them with continuous batching. The gRPC and
/// REST front ends only translate messages into <see cref="EngineRequest"/>s and stream the deltas back.
/// </summary>
public interface IGenerationEngine
{
    /// <summary>The model id clients name (the manifest's model id).</summary>
    string ModelId { get; }

    /// <summary>The loaded model the engine runs.</summary>
    VlmModel Model { get; }

    /// <summary>Queue depth, active sequences and capacity at this moment.</summary>
    EngineStatus Status { get; }

    /// <summary>
    /// Streams the answer; the last item carries the result. Throws <see cref="EngineOverloadedException"/> at once
    /// when the admission queue is full, <see cref="EngineDeadlineExceededException"/> when the request's deadline
    /// passes, and <see cref="Inference.Preprocessing.ImageRejectedException"/> for an image that cannot be used.
    /// Cancelling <paramref name="cancellationToken"/> frees the request's slot at once.
    /// </summary>
    IAsyncEnumerable<GenerationDelta> GenerateAsync(EngineRequest request, CancellationToken cancellationToken);
}

/// <summary>A question about one image, with its generation settings.</summary>
/// <param name="Image">The image, at the stage it enters the pipeline.</param>
/// <param name="Question">The question text the prompt template wraps.</param>
/// <param name="Options">Token limit, stop sequences and sampling.</param>
public sealed record EngineRequest(EngineImage Image, string Question, GenerationOptions Options)
{
    /// <summary>When the answer must be complete; the engine's default deadline applies when <see langword="null"/>.</summary>
    public DateTimeOffset? Deadline { get; init; }
}

/// <summary>A snapshot of an engine's load.</summary>
/// <param name="QueuedRequests">Requests admitted but not yet decoding.</param>
/// <param name="ActiveSequences">Sequences in the running batch.</param>
/// <param name="MaxActiveSequences">Sequences the KV-cache budget allows at once.</param>
/// <param name="MaxQueuedRequests">Admission queue bound.</param>
public readonly record struct EngineStatus(int QueuedRequests, int ActiveSequences, int MaxActiveSequences, int MaxQueuedRequests);

/// <summary>The admission queue is full; the caller should retry after <see cref="RetryAfter"/>.</summary>
public sealed class EngineOverloadedException(string message, TimeSpan retryAfter) : Exception(message)
{
    /// <summary>A suggested wait before retrying.</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>The request's deadline passed before its answer was complete.</summary>
public sealed class EngineDeadlineExceededException(string message) : Exception(message);
