using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Codec.Synthetic;

namespace EdgeCloudVlm.Codec.Tests;

/// <summary>Small synthetic activations and codebooks trained once per test class that asks for them.</summary>
public sealed class CodecFixture
{
    public const int Tokens = 65;
    public const int Dimension = 64;

    public CodecFixture()
    {
        Generator = new VitActivationGenerator(Tokens, Dimension);
        Calibration = Samples(firstSeed: 1000, count: 60);
        Evaluation = Samples(firstSeed: 5000, count: 1);
        Aligned = Train(new AlignedVqConfig { ProjectionDimension = 32, Groups = 2, Stages = 2, CodebookSize = 64 });
        Plain = Train(new AlignedVqConfig { NormalizeTokens = false, Center = false, Groups = 2, Stages = 2, CodebookSize = 64 });
        Small = Train(new AlignedVqConfig { Groups = 1, Stages = 1, CodebookSize = 5 });
    }

    public VitActivationGenerator Generator { get; }

    public float[] Calibration { get; }

    /// <summary>One frame from a seed the codebooks never saw.</summary>
    public float[] Evaluation { get; }

    /// <summary>Normalized, centered, PCA to 32, 2 groups x 2 stages x 64.</summary>
    public Codebook Aligned { get; }

    /// <summary>The same quantizer on raw features.</summary>
    public Codebook Plain { get; }

    /// <summary>Five centroids: bit-packed indices use 3 bits, so values 5..7 are out of range.</summary>
    public Codebook Small { get; }

    public float[] Samples(int firstSeed, int count)
    {
        var data = new float[count * Tokens * Dimension];
        for (var i = 0; i < count; i++)
        {
            Generator.Generate(firstSeed + i, data.AsSpan(i * Tokens * Dimension, Tokens * Dimension));
        }

        return data;
    }

    public Codebook Train(AlignedVqConfig config, int seed = 7) =>
        CodebookTrainer.Train(Calibration, Dimension, config, new CodebookTrainingOptions { Seed = seed, Iterations = 12, ModelId = "synthetic" });

    public static double RelativeError(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        double error = 0, energy = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            double delta = expected[i] - actual[i];
            error += delta * delta;
            energy += (double)expected[i] * expected[i];
        }

        return error / energy;
    }
}
