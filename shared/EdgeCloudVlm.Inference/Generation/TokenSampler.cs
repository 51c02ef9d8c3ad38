using System.Buffers;
using System.Numerics.Tensors;

namespace EdgeCloudVlm.Inference.Generation;

/// <summary>Chooses tokens from logits: greedy, or temperature / top-k / top-p sampling with its own seeded generator.
/// Not thread-safe; use one per sequence.</summary>
public sealed class TokenSampler
{
    private readonly SamplingOptions _options;
    private SplitMixRandom _random;

    /// <summary>Creates a sampler; a <see langword="null"/> seed is replaced by a random one.</summary>
    public TokenSampler(SamplingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _random = new SplitMixRandom(unchecked((ulong)(options.Seed ?? Random.Shared.NextInt64())));
    }

    /// <summary>The options in use.</summary>
    public SamplingOptions Options => _options;

    /// <summary>Index of the largest logit, the first one on ties (as <c>torch.argmax</c>).</summary>
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        if (logits.IsEmpty)
        {
            throw new ArgumentException("no logits", nameof(logits));
        }

        int best = 0;
        float max = logits[0];
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > max)
            {
                max = logits[i];
                best = i;
            }
        }

        return best;
    }

    /// <summary>Chooses the next token id.</summary>
    public int Sample(ReadOnlySpan<float> logits)
    {
        if (_options.IsGreedy)
        {
            return ArgMax(logits);
        }

        int vocab = logits.Length;
        float[] keys = ArrayPool<float>.Shared.Rent(vocab);
        int[] ids = ArrayPool<int>.Shared.Rent(vocab);
        try
        {
            // Sort by descending logit (ascending negated logit); NaN scores sink to the end and are never kept.
            for (int i = 0; i < vocab; i++)
            {
                float l = logits[i];
                keys[i] = float.IsNaN(l) ? float.PositiveInfinity : -l;
                ids[i] = i;
            }

            Array.Sort(keys, ids, 0, vocab);
            int kept = _options.TopK > 0 ? Math.Min(_options.TopK, vocab) : vocab;
            Span<float> p = keys.AsSpan(0, kept);

            // p = exp((l - lmax) / T): keys hold -l, so (keys[0] - keys[i]) / T.
            float top = p[0];
            TensorPrimitives.Subtract(p, top, p);
            TensorPrimitives.Multiply(p, -1f / _options.Temperature, p);
            TensorPrimitives.Exp(p, p);
            float total = TensorPrimitives.Sum(p);
            if (_options.TopP < 1f)
            {
                float target = _options.TopP * total;
                float cumulative = 0f;
                int n = 0;
                while (n < kept)
                {
                    cumulative += p[n++];
                    if (cumulative >= target)
                    {
                        break;
                    }
                }

                kept = n;
                total = cumulative;
            }

            double r = _random.NextDouble() * total;
            double acc = 0;
            for (int i = 0; i < kept; i++)
            {
                acc += p[i];
                if (r < acc)
                {
                    return ids[i];
                }
            }

            return ids[kept - 1];
        }
        finally
        {
            ArrayPool<float>.Shared.Return(keys);
            ArrayPool<int>.Shared.Return(ids);
        }
    }
}
