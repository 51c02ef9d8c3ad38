using System.Buffers;
using EdgeCloudVlm.Inference;
using EdgeCloudVlm.Inference.Generation;
using EdgeCloudVlm.Inference.Text;

namespace EdgeCloudVlm.Cloud.Engine;

/// <summary>
/// Prompt prefills for groups of sequences of one length, so no row needs padding: either the whole prompt (image
/// rows spliced in at the placeholder, exactly as the single-request pipeline does it) or only the tokens after a
/// cached image prefix, read as past. Buffers are pooled per call; the returned present cache belongs to the caller.
/// </summary>
internal sealed class PrefillRunner
{
    private readonly VlmModel _model;
    private readonly DecoderSession _decoder;
    private readonly int _hidden;
    private readonly int _vocab;
    private readonly int _imageTokens;

    public PrefillRunner(VlmModel model)
    {
        _model = model;
        _decoder = model.Decoder;
        _hidden = _decoder.HiddenSize;
        _vocab = _decoder.VocabSize;
        _imageTokens = model.Manifest.Vision.Tokens;
    }

    /// <summary>
    /// Prefills the whole prompts of <paramref name="group"/> (equal <see cref="EngineSequence.PromptLength"/>) with
    /// the image embeddings in <paramref name="images"/>; writes each row's last-position logits to
    /// <paramref name="lastLogits"/> [n, vocab] and returns the present cache [n, heads, length, head_dim].
    /// </summary>
    public KvCache RunFull(IReadOnlyList<EngineSequence> group, IReadOnlyList<ImagePrefix> images, float[] lastLogits, CancellationToken cancellationToken)
    {
        int n = group.Count;
        int length = group[0].PromptLength;
        int idCount = group[0].Prompt.Ids.Length;
        int embedLength = _imageTokens * _hidden;
        long[] ids = ArrayPool<long>.Shared.Rent(n * idCount);
        float[] tokenEmbeds = ArrayPool<float>.Shared.Rent(n * idCount * _hidden);
        float[] inputs = ArrayPool<float>.Shared.Rent(n * length * _hidden);
        long[] mask = ArrayPool<long>.Shared.Rent(n * length);
        long[] positions = ArrayPool<long>.Shared.Rent(n * length);
        float[] logits = ArrayPool<float>.Shared.Rent(n * length * _vocab);
        KvCache? present = null;
        try
        {
            for (int r = 0; r < n; r++)
            {
                int[] prompt = group[r].Prompt.Ids;
                for (int i = 0; i < idCount; i++)
                {
                    ids[(r * idCount) + i] = prompt[i];
                }
            }

            _model.EmbedTokens.Run(ids.AsMemory(0, n * idCount), n, idCount, tokenEmbeds.AsMemory(0, n * idCount * _hidden), cancellationToken);

            // Splice as the pipeline does: the placeholder row becomes all image-embedding rows.
            for (int r = 0; r < n; r++)
            {
                int imageIndex = group[r].Prompt.ImageIndex;
                int before = imageIndex * _hidden;
                int after = (idCount - imageIndex - 1) * _hidden;
                Span<float> source = tokenEmbeds.AsSpan(r * idCount * _hidden, idCount * _hidden);
                Span<float> row = inputs.AsSpan(r * length * _hidden, length * _hidden);
                source[..before].CopyTo(row);
                images[r].Embeddings.AsSpan(0, embedLength).CopyTo(row[before..]);
                source.Slice(before + _hidden, after).CopyTo(row[(before + embedLength)..]);
                for (int i = 0; i < length; i++)
                {
                    positions[(r * length) + i] = i;
                }
            }

            mask.AsSpan(0, n * length).Fill(1);
            present = RunWithoutPast(n, length, inputs, mask, positions, logits, cancellationToken);
            CopyLast(logits, n, length, lastLogits);
            KvCache result = present;
            present = null;
            return result;
        }
        finally
        {
            present?.Dispose();
            ArrayPool<long>.Shared.Return(ids);
            ArrayPool<float>.Shared.Return(tokenEmbeds);
            ArrayPool<float>.Shared.Return(inputs);
            ArrayPool<long>.Shared.Return(mask);
            ArrayPool<long>.Shared.Return(positions);
            ArrayPool<float>.Shared.Return(logits);
        }
    }

    /// <summary>
    /// Prefills, for each of <paramref name="count"/> images at once, the prompt up to and including the image rows,
    /// which every question about that image shares. The tokens before the image are those of
    /// <paramref name="prompt"/> for every row (<see cref="SharesPrefixTokens"/> tells which prompts qualify);
    /// <paramref name="imageEmbeddings"/> holds the images' embeddings one after another. Returns the prefixes' cache
    /// [count, heads, prefix, head_dim].
    /// </summary>
    public KvCache RunPrefixes(TokenizedPrompt prompt, float[] imageEmbeddings, int count, CancellationToken cancellationToken)
    {
        int before = prompt.ImageIndex;
        int length = before + _imageTokens;
        int embedLength = _imageTokens * _hidden;
        int rowLength = length * _hidden;
        long[] ids = ArrayPool<long>.Shared.Rent(Math.Max(before, 1));
        float[] inputs = ArrayPool<float>.Shared.Rent(count * rowLength);
        long[] mask = ArrayPool<long>.Shared.Rent(count * length);
        long[] positions = ArrayPool<long>.Shared.Rent(count * length);
        float[] logits = ArrayPool<float>.Shared.Rent(count * length * _vocab);
        KvCache? present = null;
        try
        {
            if (before > 0)
            {
                for (int i = 0; i < before; i++)
                {
                    ids[i] = prompt.Ids[i];
                }

                _model.EmbedTokens.Run(ids.AsMemory(0, before), 1, before, inputs.AsMemory(0, before * _hidden), cancellationToken);
            }

            for (int r = 0; r < count; r++)
            {
                Span<float> row = inputs.AsSpan(r * rowLength, rowLength);
                if (r > 0)
                {
                    inputs.AsSpan(0, before * _hidden).CopyTo(row);
                }

                imageEmbeddings.AsSpan(r * embedLength, embedLength).CopyTo(row[(before * _hidden)..]);
                for (int i = 0; i < length; i++)
                {
                    positions[(r * length) + i] = i;
                }
            }

            mask.AsSpan(0, count * length).Fill(1);
            present = RunWithoutPast(count, length, inputs, mask, positions, logits, cancellationToken);

            KvCache result = present;
            present = null;
            return result;
        }
        finally
        {
            present?.Dispose();
            ArrayPool<long>.Shared.Return(ids);
            ArrayPool<float>.Shared.Return(inputs);
            ArrayPool<long>.Shared.Return(mask);
            ArrayPool<long>.Shared.Return(positions);
            ArrayPool<float>.Shared.Return(logits);
        }
    }

    /// <summary>Whether <paramref name="a"/> and <paramref name="b"/> have the same tokens before the image, so their
    /// image prefixes can be prefilled in one <see cref="RunPrefixes"/> call.</summary>
    public static bool SharesPrefixTokens(TokenizedPrompt a, TokenizedPrompt b) =>
        a.ImageIndex == b.ImageIndex && a.Ids.AsSpan(0, a.ImageIndex).SequenceEqual(b.Ids.AsSpan(0, b.ImageIndex));

    /// <summary>
    /// Prefills the tokens after the image of <paramref name="group"/> (equal prompt lengths) on top of their cached
    /// prefixes; same outputs as <see cref="RunFull"/>.
    /// </summary>
    public KvCache RunTail(IReadOnlyList<EngineSequence> group, IReadOnlyList<ImagePrefix> prefixes, float[] lastLogits, CancellationToken cancellationToken)
    {
        int n = group.Count;
        KvCache first = prefixes[0].Kv!;
        int prefix = first.Length;
        int length = group[0].PromptLength;
        int tail = length - prefix;
        int start = group[0].Prompt.ImageIndex + 1;
        long[] ids = ArrayPool<long>.Shared.Rent(n * tail);
        float[] inputs = ArrayPool<float>.Shared.Rent(n * tail * _hidden);
        long[] mask = ArrayPool<long>.Shared.Rent(n * length);
        long[] positions = ArrayPool<long>.Shared.Rent(n * tail);
        float[] logits = ArrayPool<float>.Shared.Rent(n * tail * _vocab);
        KvCache? stacked = null;
        KvCache? present = null;
        try
        {
            for (int r = 0; r < n; r++)
            {
                int[] prompt = group[r].Prompt.Ids;
                for (int i = 0; i < tail; i++)
                {
                    ids[(r * tail) + i] = prompt[start + i];
                    positions[(r * tail) + i] = prefix + i;
                }
            }

            _model.EmbedTokens.Run(ids.AsMemory(0, n * tail), n, tail, inputs.AsMemory(0, n * tail * _hidden), cancellationToken);
            mask.AsSpan(0, n * length).Fill(1);
            KvCache past = first;
            if (n > 1)
            {
                stacked = new KvCache(_decoder.Layers, n, _decoder.Heads, prefix, _decoder.HeadDim, clear: false);
                for (int r = 0; r < n; r++)
                {
                    stacked.CopyFrom(prefixes[r].Kv!, 0, 0, prefix, r, 0);
                }

                past = stacked;
            }

            present = new KvCache(_decoder.Layers, n, _decoder.Heads, length, _decoder.HeadDim, clear: false);
            var batch = new DecoderBatch(n, tail, inputs.AsMemory(0, n * tail * _hidden), mask.AsMemory(0, n * length),
                positions.AsMemory(0, n * tail), past);
            _decoder.Run(batch, logits.AsMemory(0, n * tail * _vocab), present, cancellationToken);
            CopyLast(logits, n, tail, lastLogits);
            KvCache result = present;
            present = null;
            return result;
        }
        finally
        {
            present?.Dispose();
            stacked?.Dispose();
            ArrayPool<long>.Shared.Return(ids);
            ArrayPool<float>.Shared.Return(inputs);
            ArrayPool<long>.Shared.Return(mask);
            ArrayPool<long>.Shared.Return(positions);
            ArrayPool<float>.Shared.Return(logits);
        }
    }

    /// <summary>One decoder call over <paramref name="n"/> rows of <paramref name="length"/> new positions and no past;
    /// returns the present cache [n, heads, length, head_dim], which the caller owns.</summary>
    private KvCache RunWithoutPast(int n, int length, float[] inputs, long[] mask, long[] positions, float[] logits, CancellationToken cancellationToken)
    {
        var present = new KvCache(_decoder.Layers, n, _decoder.Heads, length, _decoder.HeadDim, clear: false);
        try
        {
            using KvCache empty = _decoder.CreateEmptyCache(n);
            var batch = new DecoderBatch(n, length, inputs.AsMemory(0, n * length * _hidden), mask.AsMemory(0, n * length),
                positions.AsMemory(0, n * length), empty);
            _decoder.Run(batch, logits.AsMemory(0, n * length * _vocab), present, cancellationToken);
            return present;
        }
        catch
        {
            present.Dispose();
            throw;
        }
    }

    private void CopyLast(float[] logits, int n, int sequence, float[] destination)
    {
        for (int r = 0; r < n; r++)
        {
            logits.AsSpan((((r * sequence) + sequence - 1) * _vocab), _vocab).CopyTo(destination.AsSpan(r * _vocab, _vocab));
        }
    }
}
