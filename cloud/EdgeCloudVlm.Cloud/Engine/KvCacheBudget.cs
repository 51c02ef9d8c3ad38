using EdgeCloudVlm.Inference.Manifest;

namespace EdgeCloudVlm.Cloud.Engine;

/// <summary>
/// How many sequences a KV-cache memory budget holds. One sequence of <c>n</c> positions keeps, per decoder layer, a
/// key and a value tensor of <c>heads x n x head_dim</c> float32 elements.
/// </summary>
/// <param name="BytesPerSequence">Cache bytes of one sequence at <paramref name="MaxSequenceTokens"/> positions.</param>
/// <param name="MaxSequenceTokens">Positions reserved per sequence.</param>
/// <param name="MaxSequences">Sequences the budget holds (after any batch-size cap).</param>
public readonly record struct KvCacheBudget(long BytesPerSequence, int MaxSequenceTokens, int MaxSequences)
{
    /// <summary>Bytes of one cached element (float32).</summary>
    public const int ElementSize = sizeof(float);

    /// <summary>Cache bytes of one position of one sequence: layers x 2 (key and value) x heads x head_dim x 4.</summary>
    public static long BytesPerPosition(int layers, int heads, int headDim)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(layers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(heads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(headDim, 1);
        return checked((long)layers * 2 * heads * headDim * ElementSize);
    }

    /// <summary>The budget for <paramref name="model"/> under <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">The budget does not hold one sequence, or no sequence length is known.</exception>
    public static KvCacheBudget For(LanguageModelSpec model, EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        int tokens = options.MaxSequenceTokens ?? model.MaxPositions;
        if (tokens < 2)
        {
            throw new ArgumentException(
                $"{EngineOptions.SectionName}:{nameof(EngineOptions.MaxSequenceTokens)} must be set: the model does not state max_positions");
        }

        if (model.MaxPositions > 0 && tokens > model.MaxPositions)
        {
            throw new ArgumentException(
                $"{EngineOptions.SectionName}:{nameof(EngineOptions.MaxSequenceTokens)} is {tokens}, beyond the model's max_positions {model.MaxPositions}");
        }

        long perSequence = checked(BytesPerPosition(model.Layers, model.Heads, model.HeadDim) * tokens);
        long budget = (long)options.KvCacheMemoryMiB * 1024 * 1024;
        long sequences = budget / perSequence;
        if (sequences < 1)
        {
            throw new ArgumentException(
                $"{EngineOptions.SectionName}:{nameof(EngineOptions.KvCacheMemoryMiB)} = {options.KvCacheMemoryMiB} MiB does not hold one sequence of "
                + $"{tokens} positions ({perSequence / (1024.0 * 1024.0):F2} MiB); raise it or lower {nameof(EngineOptions.MaxSequenceTokens)}");
        }

        int max = (int)Math.Min(sequences, options.MaxBatchSize ?? int.MaxValue);
        return new KvCacheBudget(perSequence, tokens, max);
    }
}
