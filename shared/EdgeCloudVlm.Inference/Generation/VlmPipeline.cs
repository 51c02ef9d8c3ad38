using System.Runtime.CompilerServices;

namespace EdgeCloudVlm.Inference.Generation;

/// <summary>
/// Answers a question about an image: vision (from whichever stage the request starts at), prompt splicing, prefill
/// and incremental decoding with the KV cache; greedy or seeded sampling, stop sequences, token limit and
/// cancellation. Thread-safe; each call is independent.
/// </summary>
public sealed class VlmPipeline
{
    private readonly TimeProvider _time;

    /// <summary>Creates the pipeline over a model with the vision cloud, embedding and decoder parts loaded (and
    /// vision edge for requests that start from pixels or encoded images).</summary>
    public VlmPipeline(VlmModel model, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The model.</summary>
    public VlmModel Model { get; }

    /// <summary>
    /// Streams the answer token by token; the last item carries the <see cref="GenerationResult"/>. Cancellation ends
    /// the stream with <see cref="FinishReason.Cancelled"/> rather than an exception.
    /// </summary>
    public async IAsyncEnumerable<GenerationDelta> StreamAsync(
        VlmRequest request,
        GenerationOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var run = new GenerationRun(Model, request, options ?? new GenerationOptions(), _time);

        // The work is CPU-bound: leave the caller's context before the first (vision + prefill) step.
        await Task.Yield();
        while (run.Next(cancellationToken) is { } delta)
        {
            yield return delta;
        }
    }

    /// <summary>Generates the whole answer.</summary>
    public GenerationResult Generate(VlmRequest request, GenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var run = new GenerationRun(Model, request, options ?? new GenerationOptions(), _time);
        while (run.Next(cancellationToken) is { } delta)
        {
            if (delta.Result is { } result)
            {
                return result;
            }
        }

        throw new InvalidOperationException("generation ended without a result");
    }

    /// <summary>Generates the whole answer off the caller's thread.</summary>
    public Task<GenerationResult> GenerateAsync(VlmRequest request, GenerationOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => Generate(request, options, cancellationToken), CancellationToken.None);

    /// <summary>Runs the vision stages of <paramref name="request"/> into <paramref name="imageEmbeddings"/> [T,E], so
    /// several questions about one image can share them (<see cref="VlmRequest.FromImageEmbeddings"/>).</summary>
    public void ComputeImageEmbeddings(VlmRequest request, Memory<float> imageEmbeddings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        int expected = Model.Manifest.Vision.Tokens * Model.Manifest.LanguageModel.HiddenSize;
        if (imageEmbeddings.Length != expected)
        {
            throw new ArgumentException($"destination holds {imageEmbeddings.Length} floats, {expected} needed", nameof(imageEmbeddings));
        }

        ImageEmbedder.Compute(Model, request, imageEmbeddings, cancellationToken);
    }
}
