using System.Runtime.CompilerServices;
using EdgeCloudVlm.Cloud.Engine;
using EdgeCloudVlm.Inference.Generation;
using EdgeCloudVlm.Inference.Preprocessing;

namespace EdgeCloudVlm.Cloud.Requests;

/// <summary>Runs a request on an engine and turns the engine's failures into <see cref="RequestErrorException"/>s, so
/// each front end has one kind of failure to map.</summary>
internal static class EngineStream
{
    /// <param name="engine">The model's engine.</param>
    /// <param name="request">The validated request.</param>
    /// <param name="imageParam">The wire name of the image field, for image errors raised inside the engine.</param>
    /// <param name="cancellationToken">The caller's lifetime: cancelling it frees the engine slot at once.</param>
    public static async IAsyncEnumerable<GenerationDelta> RunAsync(
        IGenerationEngine engine,
        EngineRequest request,
        string imageParam,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        IAsyncEnumerator<GenerationDelta> enumerator = engine.GenerateAsync(request, cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                GenerationDelta delta;
                try
                {
                    if (!await enumerator.MoveNextAsync().ConfigureAwait(false))
                    {
                        yield break;
                    }

                    delta = enumerator.Current;
                }
                catch (Exception ex) when (Translate(ex, imageParam, cancellationToken) is { } error)
                {
                    throw new RequestErrorException(error, ex);
                }

                if (delta.Result is { FinishReason: FinishReason.Cancelled })
                {
                    throw new RequestErrorException(Cancelled());
                }

                yield return delta;
            }
        }
        finally
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static RequestError? Translate(Exception ex, string imageParam, CancellationToken cancellationToken) => ex switch
    {
        EngineOverloadedException overloaded => new RequestError(RequestErrorKind.Overloaded, overloaded.Message)
        {
            Code = "engine_overloaded",
            RetryAfter = overloaded.RetryAfter,
        },
        EngineDeadlineExceededException deadline => new RequestError(RequestErrorKind.DeadlineExceeded, deadline.Message)
        {
            Code = "deadline_exceeded",
        },
        ImageRejectedException rejected => RequestBuilder.FromRejectedImage(rejected, imageParam),
        OperationCanceledException when cancellationToken.IsCancellationRequested => Cancelled(),

        // The engine's own checks of the request (prompt length against its per-sequence budget, image kind).
        ArgumentException invalid => RequestError.Invalid(invalid.Message, null, "invalid_request"),
        _ => null,
    };

    private static RequestError Cancelled() =>
        new(RequestErrorKind.Cancelled, "The request was cancelled.") { Code = "cancelled" };
}
