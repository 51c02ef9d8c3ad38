using EdgeCloudVlm.Inference.Generation;
using EdgeCloudVlm.Inference.Tests.Support;

namespace EdgeCloudVlm.Inference.Tests.Generation;

/// <summary>The decoder API a batching scheduler relies on: one call for several sequences of different lengths.</summary>
[Collection(DemoModelCollection.Name)]
public sealed class DecoderSessionTests(DemoModelFixture fixture)
{
    private const double Tolerance = 1e-4;
    private readonly DecoderSession _decoder = fixture.Model.Decoder;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Run_PaddedBatch_MatchesEachSequenceAlone(bool leftPadding)
    {
        GoldenSample[] rows = TwoLengths();
        int h = _decoder.HiddenSize;
        int[] lengths = rows.Select(r => r["prefill.position_ids"].Shape[1]).Select(x => (int)x).ToArray();
        int width = lengths.Max();
        var embeds = new float[2 * width * h];
        var mask = new long[2 * width];
        var positions = new long[2 * width];
        for (int r = 0; r < 2; r++)
        {
            int offset = leftPadding ? width - lengths[r] : 0;
            rows[r]["prefill.inputs_embeds"].Floats().CopyTo(embeds, ((r * width) + offset) * h);
            for (int i = 0; i < lengths[r]; i++)
            {
                mask[(r * width) + offset + i] = 1;
                positions[(r * width) + offset + i] = i;
            }
        }

        using KvCache empty = _decoder.CreateEmptyCache(2);
        using DecoderOutput prefill = _decoder.Run(new DecoderBatch(2, width, embeds, mask, positions, empty));

        for (int r = 0; r < 2; r++)
        {
            int last = leftPadding ? width - 1 : lengths[r] - 1;
            ReadOnlySpan<float> expected = Last(rows[r]["prefill.logits"].Floats(), lengths[r]);
            TensorAssert.Close(expected, prefill.GetLogits(r, last), Tolerance, $"row {r} prefill");
        }

        // One decode step for both rows: the new column is real for both; positions are the real lengths.
        var stepEmbeds = new float[2 * h];
        var stepMask = new long[2 * (width + 1)];
        var stepPositions = new long[2];
        for (int r = 0; r < 2; r++)
        {
            rows[r]["decode.inputs_embeds"].Floats().CopyTo(stepEmbeds, r * h);
            Array.Copy(mask, r * width, stepMask, r * (width + 1), width);
            stepMask[(r * (width + 1)) + width] = 1;
            stepPositions[r] = lengths[r];
        }

        using DecoderOutput step = _decoder.Run(new DecoderBatch(2, 1, stepEmbeds, stepMask, stepPositions, prefill.Present));

        for (int r = 0; r < 2; r++)
        {
            TensorAssert.Close(rows[r]["decode.logits"].Floats(), step.GetLogits(r, 0), Tolerance, $"row {r} step");
        }
    }

    [Fact]
    public void KvCacheCopyFrom_SeparatePrefillsMergedLeftPadded_StepMatches()
    {
        GoldenSample[] rows = TwoLengths();
        int h = _decoder.HiddenSize;
        var caches = new DecoderOutput[2];
        try
        {
            for (int r = 0; r < 2; r++)
            {
                long[] positions = rows[r]["prefill.position_ids"].Longs();
                using KvCache empty = _decoder.CreateEmptyCache(1);
                caches[r] = _decoder.Run(new DecoderBatch(
                    1, positions.Length, rows[r]["prefill.inputs_embeds"].Floats(), rows[r]["prefill.attention_mask"].Longs(), positions, empty));
            }

            int width = Math.Max(caches[0].Present.Length, caches[1].Present.Length);
            using KvCache merged = _decoder.CreateCache(2, width);
            var mask = new long[2 * (width + 1)];
            var stepEmbeds = new float[2 * h];
            var stepPositions = new long[2];
            for (int r = 0; r < 2; r++)
            {
                int length = caches[r].Present.Length;
                merged.CopyFrom(caches[r].Present, 0, 0, length, r, width - length);
                Array.Fill(mask, 1L, (r * (width + 1)) + width - length, length + 1);
                rows[r]["decode.inputs_embeds"].Floats().CopyTo(stepEmbeds, r * h);
                stepPositions[r] = length;
            }

            using DecoderOutput step = _decoder.Run(new DecoderBatch(2, 1, stepEmbeds, mask, stepPositions, merged));

            for (int r = 0; r < 2; r++)
            {
                TensorAssert.Close(rows[r]["decode.logits"].Floats(), step.GetLogits(r, 0), Tolerance, $"row {r}");
            }
        }
        finally
        {
            foreach (DecoderOutput? c in caches)
            {
                c?.Dispose();
            }
        }
    }

    [Fact]
    public void Run_MaskWidthDisagreesWithPast_Throws()
    {
        using KvCache empty = _decoder.CreateEmptyCache(1);
        var batch = new DecoderBatch(1, 2, new float[2 * _decoder.HiddenSize], new long[3], new long[2], empty);

        var ex = Assert.Throws<ArgumentException>(() => _decoder.Run(batch));

        Assert.Contains("attention_mask holds 3 elements, expected 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_PastWithOtherBatchSize_Throws()
    {
        using KvCache empty = _decoder.CreateEmptyCache(2);

        Assert.Throws<ArgumentException>(
            () => _decoder.Run(new DecoderBatch(1, 1, new float[_decoder.HiddenSize], new long[1], new long[1], empty)));
    }

    [Fact]
    public void KvCacheCopyFrom_OutOfRange_Throws()
    {
        using KvCache a = _decoder.CreateCache(1, 4);
        using KvCache b = _decoder.CreateCache(1, 3);

        Assert.Throws<ArgumentOutOfRangeException>(() => b.CopyFrom(a, 0, 0, 4, 0, 0));
    }

    private static ReadOnlySpan<float> Last(float[] logits, int length)
    {
        int vocab = logits.Length / length;
        return logits.AsSpan((length - 1) * vocab, vocab);
    }

    private static GoldenSample[] TwoLengths()
    {
        var byLength = Golden.Demo.Samples.OrderBy(s => s.PromptIds.Length).ToArray();
        Assert.NotEqual(byLength[0].PromptIds.Length, byLength[^1].PromptIds.Length);
        return [byLength[^1], byLength[0]];
    }
}
