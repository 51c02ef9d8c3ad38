using System.Runtime.CompilerServices;
using EdgeCloudVlm.Cloud.Engine;
using EdgeCloudVlm.Cloud.Models;
using EdgeCloudVlm.Inference;
using EdgeCloudVlm.Inference.Generation;

namespace EdgeCloudVlm.Cloud.Tests.Support;

/// <summary>
/// Test doubles for the engine's failure modes, so the front ends' mapping of them is tested without racing a real
/// queue or clock: the question picks the failure ("overloaded", or else a passed deadline), and a question with
/// "hold" first waits until <see cref="ReleaseHeld"/>, to keep a request in flight.
/// </summary>
public sealed class FailingEngineFactory : IGenerationEngineFactory
{
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(3);

    private TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IGenerationEngine Create(string modelId, VlmModel model) => new FailingEngine(modelId, model, this);

    private int _holding;

    /// <summary>Requests waiting in "hold" right now.</summary>
    public int Holding => Volatile.Read(ref _holding);

    public void ReleaseHeld()
    {
        TaskCompletionSource held = Interlocked.Exchange(ref _held, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        held.TrySetResult();
    }

    private sealed class FailingEngine(string modelId, VlmModel model, FailingEngineFactory factory) : IGenerationEngine
    {
        public string ModelId { get; } = modelId;

        public VlmModel Model { get; } = model;

        public EngineStatus Status => new(0, 0, 1, 1);

        public async IAsyncEnumerable<GenerationDelta> GenerateAsync(EngineRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            if (request.Question.Contains("hold", StringComparison.Ordinal))
            {
                // The gate is read before the request counts as holding, so a release that a test makes once it sees
                // Holding > 0 always opens the gate this request waits on.
                Task held = factory._held.Task;
                Interlocked.Increment(ref factory._holding);
                try
                {
                    await held.WaitAsync(cancellationToken);
                }
                finally
                {
                    Interlocked.Decrement(ref factory._holding);
                }
            }

            if (request.Question.Contains("overloaded", StringComparison.Ordinal))
            {
                throw new EngineOverloadedException("the admission queue is full (1 waiting)", RetryAfter);
            }

            throw new EngineDeadlineExceededException("the deadline passed before the answer was complete");
#pragma warning disable CS0162 // An iterator needs a yield to be one.
            yield break;
#pragma warning restore CS0162
        }
    }
}

/// <summary>Holds model loading until the test releases it, to observe the service before it is ready.</summary>
internal sealed class GatedEngineFactory(IGenerationEngineFactory inner) : IGenerationEngineFactory
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _gate.TrySetResult();

    public IGenerationEngine Create(string modelId, VlmModel model)
    {
        _gate.Task.Wait(TimeSpan.FromMinutes(2));
        return inner.Create(modelId, model);
    }
}
