using EdgeCloudVlm.Inference.Generation;
using EdgeCloudVlm.Inference.Tests.Support;
using Xunit.Abstractions;

namespace EdgeCloudVlm.Inference.Tests.Runtime;

/// <summary>Every exported part, run through the C# sessions on the golden inputs, matches PyTorch's outputs.</summary>
[Collection(DemoModelCollection.Name)]
public sealed class PartGoldenTests(DemoModelFixture fixture, ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;
    private readonly VlmModel _model = fixture.Model;

    public static TheoryData<int> Samples => Golden.SampleIndices();

    [Theory]
    [MemberData(nameof(Samples))]
    public void VisionEdge_GoldenPixels_MatchesHiddenState(int sample)
    {
        GoldenSample s = Golden.Demo.Samples[sample];
        float[] expected = s["hidden_state"].Floats();
        var actual = new float[expected.Length];

        _model.VisionEdge.Run(s["pixel_values"].Floats(), 1, actual);

        Report("vision_edge", sample, TensorAssert.Close(expected, actual, Tolerance, "hidden_state"));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void VisionCloud_GoldenHiddenState_MatchesImageEmbeds(int sample)
    {
        GoldenSample s = Golden.Demo.Samples[sample];
        float[] expected = s["image_embeds"].Floats();
        var actual = new float[expected.Length];

        _model.VisionCloud.Run(s["hidden_state"].Floats(), 1, actual);

        Report("vision_cloud", sample, TensorAssert.Close(expected, actual, Tolerance, "image_embeds"));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void EmbedTokens_GoldenIds_MatchTokenEmbeds(int sample)
    {
        GoldenSample s = Golden.Demo.Samples[sample];
        long[] ids = s["input_ids"].Longs();
        float[] expected = s["token_embeds"].Floats();
        var actual = new float[expected.Length];

        _model.EmbedTokens.Run(ids, 1, ids.Length, actual);

        Report("embed_tokens", sample, TensorAssert.Close(expected, actual, Tolerance, "token_embeds"));
        float[] stepExpected = s["decode.inputs_embeds"].Floats();
        var stepActual = new float[stepExpected.Length];
        _model.EmbedTokens.Run(s["decode.input_ids"].Longs(), 1, 1, stepActual);
        TensorAssert.Close(stepExpected, stepActual, Tolerance, "decode.inputs_embeds");
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Decoder_GoldenPrefillAndStep_MatchLogitsAndPresents(int sample)
    {
        GoldenSample s = Golden.Demo.Samples[sample];
        DecoderSession decoder = _model.Decoder;
        float[] embeds = s["prefill.inputs_embeds"].Floats();
        long[] mask = s["prefill.attention_mask"].Longs();
        long[] positions = s["prefill.position_ids"].Longs();
        int length = positions.Length;

        using KvCache empty = decoder.CreateEmptyCache(1);
        using DecoderOutput prefill = decoder.Run(new DecoderBatch(1, length, embeds, mask, positions, empty));

        double prefillError = TensorAssert.Close(s["prefill.logits"].Floats(), prefill.Logits, Tolerance, "prefill.logits");
        Assert.Equal(s.FirstGeneratedId, TokenSampler.ArgMax(prefill.GetLogits(0, length - 1)));
        double presentError = 0;
        if (s.Tensors.ContainsKey("prefill.present.0.key"))
        {
            for (int layer = 0; layer < decoder.Layers; layer++)
            {
                presentError = Math.Max(presentError, TensorAssert.Close(
                    s[$"prefill.present.{layer}.key"].Floats(), prefill.Present.Key(layer).Span, Tolerance, $"present.{layer}.key"));
                presentError = Math.Max(presentError, TensorAssert.Close(
                    s[$"prefill.present.{layer}.value"].Floats(), prefill.Present.Value(layer).Span, Tolerance, $"present.{layer}.value"));
            }
        }

        using DecoderOutput step = decoder.Run(new DecoderBatch(
            1, 1, s["decode.inputs_embeds"].Floats(), s["decode.attention_mask"].Longs(), s["decode.position_ids"].Longs(),
            prefill.Present));

        double stepError = TensorAssert.Close(s["decode.logits"].Floats(), step.Logits, Tolerance, "decode.logits");
        Assert.Equal(length + 1, step.Present.Length);
        Report("decoder prefill logits", sample, prefillError);
        Report("decoder presents", sample, presentError);
        Report("decoder step logits", sample, stepError);
    }

    private void Report(string part, int sample, double error) =>
        output.WriteLine($"golden max abs error {part} sample {sample}: {error:E3}");
}
