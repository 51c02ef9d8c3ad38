using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Codec.Frames;
using EdgeCloudVlm.Codec.Tests.Training;

namespace EdgeCloudVlm.Codec.Tests;

/// <summary>
/// Residual stages under a per-token error bound. The data is shaped like a small ViT's split tensor: a fixed vector per
/// position, and on top of it either faint background texture (most tokens) or one of many content vectors of a much
/// larger scale (a few tokens), as in an image with one or two objects on a plain background.
/// </summary>
public sealed class ErrorBoundTests
{
    private const int Tokens = 32;
    private const int Dimension = 16;

    private static readonly float[] Calibration = Frames(seed: 1, frames: 300, out _);
    private static readonly float[] Evaluation = Frames(seed: 77, frames: 4, out EvaluationContent);
    private static readonly bool[] EvaluationContent;

    [Theory]
    [InlineData("raw-pos-g1-s4-k16-e0.1-f0.25")]
    [InlineData("norm2x16-center-g2-s2-k64-e0.2")]
    public void Config_TextForm_RoundTrips(string text)
    {
        AlignedVqConfig config = AlignedVqConfig.Parse(text);

        Assert.NotNull(config.ErrorBound);
        Assert.Equal(text, config.ToString());
    }

    [Fact]
    public void Config_ErrorBound_AddsTheSkipSymbolToEveryStage()
    {
        AlignedVqConfig bounded = AlignedVqConfig.Parse("raw-g1-s3-k256-e0.1");
        AlignedVqConfig fixedDepth = AlignedVqConfig.Parse("raw-g1-s3-k256");

        Assert.Equal(257, bounded.StageAlphabet);
        Assert.Equal(3 * 9, bounded.NominalBitsPerToken);
        Assert.Equal(3 * 8, fixedDepth.NominalBitsPerToken);
    }

    [Theory]
    [InlineData("raw-g1-s2-k16-e1.5")]
    [InlineData("raw-g1-s2-k16-e0")]
    [InlineData("raw-g1-s2-k16-f0.2")]
    [InlineData("raw-g1-s2-k65536-e0.1")]
    public void Config_BadBound_IsRejectedNamingIt(string text)
    {
        var error = Assert.Throws<ArgumentException>(() => AlignedVqConfig.Parse(text).Validate(Dimension));

        Assert.Contains(text.Contains("k65536", StringComparison.Ordinal) ? "CodebookSize" : "Bound", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_BoundThatIsNotANumber_IsAFormatError()
    {
        Assert.Throws<FormatException>(() => AlignedVqConfig.Parse("raw-g1-s2-k16-eabc"));
    }

    [Fact]
    public void RoundTrip_BackgroundTokens_ComeBackAsTheirPositionMeanAndContentTokensWithinTheBound()
    {
        Codebook codebook = Train("raw-pos-g1-s4-k16-e0.05-f0.25");
        var reconstruction = new float[Evaluation.Length];
        new AlignedVqCodec(codebook).RoundTrip(Evaluation, Evaluation.Length / Dimension, reconstruction);
        float[] bias = codebook.Document.Alignment.PositionBias!;

        for (int row = 0; row < Evaluation.Length / Dimension; row++)
        {
            int position = row % Tokens;
            ReadOnlySpan<float> decoded = reconstruction.AsSpan(row * Dimension, Dimension);
            if (!EvaluationContent[row])
            {
                Assert.Equal(bias.AsSpan(position * Dimension, Dimension).ToArray(), decoded.ToArray());
            }
            else
            {
                double error = SquaredDistance(Evaluation.AsSpan(row * Dimension, Dimension), decoded);
                double energy = SquaredDistance(Evaluation.AsSpan(row * Dimension, Dimension), bias.AsSpan(position * Dimension, Dimension));
                Assert.True(error < energy / 4, $"row {row}: error {error:F3} of energy {energy:F3}");
            }
        }
    }

    [Fact]
    public void Encode_BoundedDeeperStages_NoLargerFramesThanFixedDepthAndAFractionOfItsContentError()
    {
        var bounded = new AlignedVqCodec(Train("raw-pos-g1-s4-k16-e0.02-f0.25"));
        var shallow = new AlignedVqCodec(Train("raw-pos-g1-s2-k16"));
        var deep = new AlignedVqCodec(Train("raw-pos-g1-s4-k16"));
        var bytes = new int[3];
        var contentError = new double[3];
        int size = Tokens * Dimension;
        for (int f = 0; f < Evaluation.Length / size; f++)
        {
            ReadOnlySpan<float> frame = Evaluation.AsSpan(f * size, size);
            AlignedVqCodec[] codecs = [bounded, shallow, deep];
            for (int c = 0; c < codecs.Length; c++)
            {
                bytes[c] += EncodeDecode(codecs[c], frame, entropyCoded: null, out float[] decoded);
                contentError[c] += ContentError(frame, decoded, f * Tokens);
            }
        }

        string figures = $"bytes {string.Join('/', bytes)}, content error {string.Join('/', contentError.Select(e => e.ToString("F3")))} (bounded/s2/s4)";
        Assert.True(bytes[0] <= bytes[1], figures);
        Assert.True(bytes[0] < bytes[2] * 3 / 4, figures);
        Assert.True(contentError[0] < contentError[1] / 2, figures);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void EncodeThenDecode_EqualsInMemoryRoundTrip(bool entropyCoding)
    {
        var codec = new AlignedVqCodec(Train("raw-pos-g1-s3-k16-e0.05-f0.25"), new AlignedVqCodecOptions { EntropyCoding = entropyCoding });
        float[] frame = Evaluation[..(Tokens * Dimension)];
        var expected = new float[frame.Length];
        codec.RoundTrip(frame, Tokens, expected);

        EncodeDecode(codec, frame, entropyCoding, out float[] decoded);

        Assert.Equal(expected, decoded);
    }

    [Fact]
    public void ComputeSymbols_TokenThatStopped_SkipsEveryLaterStage()
    {
        Codebook codebook = Train("raw-pos-g1-s4-k16-e0.05-f0.25");
        var codec = new AlignedVqCodec(codebook);
        int rows = Evaluation.Length / Dimension;
        var symbols = new int[rows * codebook.Stages];

        codec.ComputeSymbols(Evaluation, rows, symbols);

        for (int row = 0; row < rows; row++)
        {
            ReadOnlySpan<int> stages = symbols.AsSpan(row * codebook.Stages, codebook.Stages);
            int firstSkip = stages.IndexOf(0);
            Assert.True(firstSkip < 0 || stages[firstSkip..].IndexOfAnyExcept(0) < 0, $"row {row}: {string.Join(' ', stages.ToArray())}");
            Assert.Equal(EvaluationContent[row], firstSkip != 0);
        }
    }

    [Fact]
    public void Train_NormalizedWithPositionBias_KeepsTokensInPlaceForThePerPositionBounds()
    {
        AlignedVqConfig config = AlignedVqConfig.Parse("norm2x8-pos-center-g1-s2-k16-e0.1");
        CodebookTrainingOptions Options(bool weighted) =>
            new() { Seed = 3, Iterations = 15, TokensPerFrame = Tokens, MaxDegreeOfParallelism = 1, WeightTokensByRms = weighted };

        Codebook weighted = CodebookTrainer.Train(Calibration, Dimension, config, Options(weighted: true));
        Codebook unweighted = CodebookTrainer.Train(Calibration, Dimension, config, Options(weighted: false));

        // RMS weighting resamples tokens, which would scramble their positions; it is skipped for this combination.
        Assert.Equal(unweighted.Id, weighted.Id);
    }

    [Fact]
    public void File_SaveThenLoad_KeepsStopEnergiesAndTablesWithTheSkipSymbol()
    {
        Codebook trained = Train("raw-pos-g1-s2-k16-e0.1");

        Codebook loaded = CodebookFile.Load(trained.FileBytes.ToArray(), trained.Id);

        Assert.Equal(trained.Document.Quantizer.StopEnergy, loaded.Document.Quantizer.StopEnergy);
        Assert.Equal(2 * Tokens, loaded.Document.Quantizer.StopEnergy!.Length);
        Assert.All(loaded.Document.Quantizer.Codebooks, stage =>
        {
            Assert.Equal(stage.Size + 1, stage.Frequencies!.Frequencies.Length);
            Assert.All(stage.PositionFrequencies!, table => Assert.Equal(stage.Size + 1, table.Frequencies.Length));
        });
    }

    [Theory]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    public void File_StopEnergyNotAFiniteNonNegativeValue_IsInvalidData(float value)
    {
        CodebookDocument document = Train("raw-pos-g1-s2-k16-e0.1").Document;
        document.Quantizer.StopEnergy![3] = value;

        var error = Assert.Throws<InvalidDataException>(() => CodebookFile.Create(document));

        Assert.Contains("stop energies", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void File_StopEnergiesNotOnePerStageAndPosition_IsInvalidData()
    {
        CodebookDocument document = Train("raw-pos-g1-s2-k16-e0.1").Document;
        document.Quantizer.StopEnergy = document.Quantizer.StopEnergy![..Tokens];

        Assert.Throws<InvalidDataException>(() => CodebookFile.Create(document));
    }

    [Fact]
    public void File_FixedDepthTablesUnderAStopEnergy_IsInvalidData()
    {
        CodebookDocument document = Train("raw-pos-g1-s2-k16").Document;
        document.Quantizer.StopEnergy = new float[2 * Tokens];

        Assert.Throws<InvalidDataException>(() => CodebookFile.Create(document));
    }

    /// <summary>Encodes and decodes one frame, checks whether it was entropy coded when <paramref name="entropyCoded"/> says
    /// what to expect (the codec bit-packs instead when that is smaller), and returns its length.</summary>
    private static int EncodeDecode(AlignedVqCodec codec, ReadOnlySpan<float> frame, bool? entropyCoded, out float[] decoded)
    {
        var bytes = new byte[codec.GetMaxFrameLength(Tokens, Dimension)];
        int length = codec.Encode(frame, Tokens, Dimension, bytes);
        decoded = new float[Tokens * Dimension];
        Assert.Equal(FrameStatus.Ok, codec.Decode(bytes.AsSpan(0, length), decoded, out FrameHeader header));
        if (entropyCoded is { } expected)
        {
            Assert.Equal(expected, (header.Flags & FrameFlags.EntropyCoded) != 0);
        }

        return length;
    }

    private static double ContentError(ReadOnlySpan<float> frame, ReadOnlySpan<float> decoded, int firstRow)
    {
        double error = 0;
        for (int t = 0; t < Tokens; t++)
        {
            if (EvaluationContent[firstRow + t])
            {
                error += SquaredDistance(frame.Slice(t * Dimension, Dimension), decoded.Slice(t * Dimension, Dimension));
            }
        }

        return error;
    }

    private static double SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += (a[i] - b[i]) * (double)(a[i] - b[i]);
        }

        return sum;
    }

    private static Codebook Train(string config) =>
        CodebookTrainer.Train(Calibration, Dimension, AlignedVqConfig.Parse(config),
            new CodebookTrainingOptions { Seed = 3, Iterations = 15, TokensPerFrame = Tokens, MaxDegreeOfParallelism = 1 });

    /// <summary>
    /// Per position a fixed vector of scale 3. One token in five, anywhere, holds content: one of 8 prototypes of scale 2,
    /// times 0.6 to 1.4, with noise of 0.02; the others hold background texture of scale 0.05.
    /// </summary>
    private static float[] Frames(int seed, int frames, out bool[] content)
    {
        var structure = new Random(12345);
        var positions = new float[Tokens * Dimension];
        var prototypes = new float[8 * Dimension];
        for (int i = 0; i < positions.Length; i++)
        {
            positions[i] = 3f * Gaussian(structure);
        }

        for (int i = 0; i < prototypes.Length; i++)
        {
            prototypes[i] = 2f * Gaussian(structure);
        }

        var random = new Random(seed);
        var data = new float[frames * Tokens * Dimension];
        content = new bool[frames * Tokens];
        for (int f = 0; f < frames; f++)
        {
            for (int t = 0; t < Tokens; t++)
            {
                bool isContent = content[(f * Tokens) + t] = random.NextDouble() < 0.2;
                int prototype = random.Next(8);
                float scale = 0.6f + (0.8f * (float)random.NextDouble());
                for (int d = 0; d < Dimension; d++)
                {
                    float value = isContent
                        ? (scale * prototypes[(prototype * Dimension) + d]) + (0.02f * Gaussian(random))
                        : 0.05f * Gaussian(random);
                    data[(((f * Tokens) + t) * Dimension) + d] = positions[(t * Dimension) + d] + value;
                }
            }
        }

        return data;
    }

    private static float Gaussian(Random random) => (float)TrainingTestData.NextGaussian(random);
}
