using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Codec.Frames;
using EdgeCloudVlm.Codec.Tests.Training;

namespace EdgeCloudVlm.Codec.Tests;

/// <summary>
/// Per-position alignment: each token position's calibration mean is removed before quantization and added back after.
/// The data here is what motivates it: a large fixed vector per position (a ViT's learned position embedding) plus
/// smaller content drawn from a few prototypes.
/// </summary>
public sealed class PositionBiasTests
{
    private const int Tokens = 12;
    private const int Dimension = 16;

    private static readonly float[] Calibration = Frames(seed: 1, frames: 200);
    private static readonly float[] Evaluation = Frames(seed: 99, frames: 3);

    [Theory]
    [InlineData("raw-pos-g1-s2-k64")]
    [InlineData("norm2x16-pos-center-g1-s1-k256")]
    public void Config_TextForm_RoundTrips(string text)
    {
        AlignedVqConfig config = AlignedVqConfig.Parse(text);

        Assert.True(config.PositionBias);
        Assert.Equal(text, config.ToString());
    }

    [Fact]
    public void Train_WithPositionBias_ReconstructsFarBetterThanWithoutAtTheSameRate()
    {
        Codebook positional = Train("raw-pos-g1-s1-k8");
        Codebook plain = Train("raw-g1-s1-k8");

        double withBias = Error(positional);
        double without = Error(plain);

        Assert.Equal(Tokens, positional.Positions);
        Assert.Equal(0, plain.Positions);
        Assert.True(withBias < without / 4, $"relative error {withBias:F4} with the position bias, {without:F4} without");
    }

    [Fact]
    public void EncodeThenDecode_EqualsInMemoryRoundTrip()
    {
        var codec = new AlignedVqCodec(Train("norm2x8-pos-center-g2-s2-k16"));
        float[] frame = Evaluation[..(Tokens * Dimension)];
        var bytes = new byte[codec.GetMaxFrameLength(Tokens, Dimension)];
        var decoded = new float[Tokens * Dimension];
        var expected = new float[Tokens * Dimension];

        int length = codec.Encode(frame, Tokens, Dimension, bytes);
        FrameStatus status = codec.Decode(bytes.AsSpan(0, length), decoded, out _);
        codec.RoundTrip(frame, Tokens, expected);

        Assert.Equal(FrameStatus.Ok, status);
        Assert.Equal(expected, decoded);
    }

    [Fact]
    public void RoundTrip_SeveralFramesAtOnce_EqualsFrameByFrame()
    {
        var codec = new AlignedVqCodec(Train("raw-pos-g1-s2-k16"));
        var together = new float[Evaluation.Length];
        var alone = new float[Evaluation.Length];

        codec.RoundTrip(Evaluation, 3 * Tokens, together);
        for (int f = 0; f < 3; f++)
        {
            int size = Tokens * Dimension;
            codec.RoundTrip(Evaluation.AsSpan(f * size, size), Tokens, alone.AsSpan(f * size, size));
        }

        Assert.Equal(alone, together);
    }

    [Fact]
    public void Encode_OtherTokenCount_ThrowsNamingTheCodebooksCount()
    {
        var codec = new AlignedVqCodec(Train("raw-pos-g1-s1-k16"));
        var bytes = new byte[codec.GetMaxFrameLength(Tokens - 1, Dimension)];

        var error = Assert.Throws<ArgumentException>(() => codec.Encode(Evaluation.AsSpan(0, (Tokens - 1) * Dimension), Tokens - 1, Dimension, bytes));

        Assert.Contains($"{Tokens} tokens", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_WithoutTokensPerFrame_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => CodebookTrainer.Train(
            Calibration, Dimension, AlignedVqConfig.Parse("raw-pos-g1-s1-k16"), new CodebookTrainingOptions { Iterations = 4 }));

        Assert.Contains("TokensPerFrame", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void File_SaveThenLoad_KeepsThePositionBias()
    {
        Codebook trained = Train("raw-pos-g1-s1-k16");

        Codebook loaded = CodebookFile.Load(trained.FileBytes.ToArray(), trained.Id);

        Assert.Equal(trained.Document.Alignment.PositionBias, loaded.Document.Alignment.PositionBias);
        Assert.Equal(Tokens, loaded.Positions);
        Assert.Equal(
            trained.Document.Quantizer.Codebooks[0].PositionFrequencies!.Select(table => table.Frequencies),
            loaded.Document.Quantizer.Codebooks[0].PositionFrequencies!.Select(table => table.Frequencies));
    }

    [Fact]
    public void File_PositionBiasNotWholeRows_IsInvalidData()
    {
        CodebookDocument document = Train("raw-pos-g1-s1-k16").Document;
        document.Alignment.PositionBias = new float[Dimension + 1];

        Assert.Throws<InvalidDataException>(() => CodebookFile.Create(document));
    }

    [Fact]
    public void Train_WithPositionBias_StoresAnIndexTablePerPositionInEveryStage()
    {
        Codebook positional = Train("raw-pos-g1-s2-k16");
        Codebook plain = Train("raw-g1-s2-k16");

        Assert.All(positional.Document.Quantizer.Codebooks, stage =>
        {
            Assert.NotNull(stage.PositionFrequencies);
            Assert.Equal(Tokens, stage.PositionFrequencies!.Length);
            Assert.All(stage.PositionFrequencies, table => Assert.Equal(stage.Size, table.Frequencies.Length));
        });
        Assert.All(plain.Document.Quantizer.Codebooks, stage => Assert.Null(stage.PositionFrequencies));
    }

    [Fact]
    public void Encode_ContentThatDependsOnPosition_PositionTablesGiveSmallerFramesThatDecodeTheSame()
    {
        const int tokens = 64;
        float[] calibration = Frames(seed: 5, frames: 200, tokens, favoured: 0.9);
        float[] evaluation = Frames(seed: 6, frames: 3, tokens, favoured: 0.9);
        Codebook withTables = CodebookTrainer.Train(calibration, Dimension, AlignedVqConfig.Parse("raw-pos-g1-s1-k16"),
            new CodebookTrainingOptions { Seed = 3, Iterations = 15, TokensPerFrame = tokens, MaxDegreeOfParallelism = 1 });
        CodebookDocument stripped = CodebookFile.Load(withTables.FileBytes.ToArray(), withTables.Id).Document;
        foreach (StageCodebook stage in stripped.Quantizer.Codebooks)
        {
            stage.PositionFrequencies = null;
        }

        var positional = new AlignedVqCodec(withTables);
        var columnOnly = new AlignedVqCodec(CodebookFile.Create(stripped));
        int positionalBytes = 0, columnOnlyBytes = 0;
        int size = tokens * Dimension;
        for (int f = 0; f < 3; f++)
        {
            ReadOnlySpan<float> frame = evaluation.AsSpan(f * size, size);
            positionalBytes += EncodeDecode(positional, frame, tokens, out float[] fromPositional);
            columnOnlyBytes += EncodeDecode(columnOnly, frame, tokens, out float[] fromColumnOnly);
            Assert.Equal(fromColumnOnly, fromPositional);
        }

        Assert.True(positionalBytes + 15 < columnOnlyBytes, $"{positionalBytes} bytes with position tables, {columnOnlyBytes} without");
    }

    [Fact]
    public void File_PositionTablesNotOnePerPosition_IsInvalidData()
    {
        CodebookDocument document = Train("raw-pos-g1-s1-k16").Document;
        StageCodebook stage = document.Quantizer.Codebooks[0];
        stage.PositionFrequencies = stage.PositionFrequencies![..(Tokens - 1)];

        var error = Assert.Throws<InvalidDataException>(() => CodebookFile.Create(document));

        Assert.Contains("one per position", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void File_PositionTablesInOnlySomeStages_IsInvalidData()
    {
        CodebookDocument document = Train("raw-pos-g1-s2-k16").Document;
        document.Quantizer.Codebooks[1].PositionFrequencies = null;

        Assert.Throws<InvalidDataException>(() => CodebookFile.Create(document));
    }

    [Fact]
    public void File_PositionTablesWithoutPositionBias_IsInvalidData()
    {
        CodebookDocument document = Train("raw-pos-g1-s1-k16").Document;
        document.Alignment.PositionBias = null;
        document.Alignment.ChannelBias = new float[Dimension];

        Assert.Throws<InvalidDataException>(() => CodebookFile.Create(document));
    }

    private static int EncodeDecode(AlignedVqCodec codec, ReadOnlySpan<float> frame, int tokens, out float[] decoded)
    {
        var bytes = new byte[codec.GetMaxFrameLength(tokens, Dimension)];
        int length = codec.Encode(frame, tokens, Dimension, bytes);
        decoded = new float[tokens * Dimension];
        Assert.Equal(FrameStatus.Ok, codec.Decode(bytes.AsSpan(0, length), decoded, out FrameHeader header));
        Assert.True((header.Flags & FrameFlags.EntropyCoded) != 0);
        return length;
    }

    private static Codebook Train(string config) =>
        CodebookTrainer.Train(Calibration, Dimension, AlignedVqConfig.Parse(config),
            new CodebookTrainingOptions { Seed = 3, Iterations = 15, TokensPerFrame = Tokens, MaxDegreeOfParallelism = 1 });

    private static double Error(Codebook codebook)
    {
        var reconstruction = new float[Evaluation.Length];
        new AlignedVqCodec(codebook).RoundTrip(Evaluation, Evaluation.Length / Dimension, reconstruction);
        double error = 0, variance = 0;
        var mean = new double[Dimension];
        int count = Evaluation.Length / Dimension;
        for (int i = 0; i < Evaluation.Length; i++)
        {
            mean[i % Dimension] += Evaluation[i] / count;
        }

        for (int i = 0; i < Evaluation.Length; i++)
        {
            error += Math.Pow(Evaluation[i] - reconstruction[i], 2);
            variance += Math.Pow(Evaluation[i] - mean[i % Dimension], 2);
        }

        return error / variance;
    }

    /// <summary>
    /// Per position a fixed vector of scale 3, plus content: one of 6 prototypes of scale 1 and noise of 0.05. With
    /// <paramref name="favoured"/> &gt; 0, that share of the tokens at position t take prototype t mod 6 (as most patches
    /// at one place of an image are background), the rest a uniform one.
    /// </summary>
    private static float[] Frames(int seed, int frames, int tokens = Tokens, double favoured = 0)
    {
        var structure = new Random(12345);
        var positions = new float[tokens * Dimension];
        var prototypes = new float[6 * Dimension];
        for (int i = 0; i < positions.Length; i++)
        {
            positions[i] = 3f * Gaussian(structure);
        }

        for (int i = 0; i < prototypes.Length; i++)
        {
            prototypes[i] = Gaussian(structure);
        }

        var random = new Random(seed);
        var data = new float[frames * tokens * Dimension];
        for (int f = 0; f < frames; f++)
        {
            for (int t = 0; t < tokens; t++)
            {
                int prototype = random.Next(6);
                if (random.NextDouble() < favoured)
                {
                    prototype = t % 6;
                }

                for (int d = 0; d < Dimension; d++)
                {
                    data[(((f * tokens) + t) * Dimension) + d] = positions[(t * Dimension) + d] + prototypes[(prototype * Dimension) + d] + (0.05f * Gaussian(random));
                }
            }
        }

        return data;
    }

    private static float Gaussian(Random random) => (float)TrainingTestData.NextGaussian(random);
}
