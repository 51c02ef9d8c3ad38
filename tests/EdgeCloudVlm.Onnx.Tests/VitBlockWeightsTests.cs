namespace EdgeCloudVlm.Onnx.Tests;

public sealed class VitBlockWeightsTests
{
    [Fact]
    public void Random_SameSeed_GivesIdenticalValues()
    {
        VitBlockWeights a = VitBlockWeights.Random(16, 64, seed: 7);
        VitBlockWeights b = VitBlockWeights.Random(16, 64, seed: 7);
        VitBlockWeights c = VitBlockWeights.Random(16, 64, seed: 8);

        Assert.Equal(a.Fc2Weight, b.Fc2Weight);
        Assert.Equal(a.Ln1Scale, b.Ln1Scale);
        Assert.NotEqual(a.Fc2Weight, c.Fc2Weight);
    }

    [Fact]
    public void Random_Sizes_MatchDimensions()
    {
        VitBlockWeights weights = VitBlockWeights.Random(12, 48, seed: 1);

        Assert.Equal(12 * 12, weights.QueryWeight.Length);
        Assert.Equal(12 * 12, weights.OutputWeight.Length);
        Assert.Equal(12 * 48, weights.Fc1Weight.Length);
        Assert.Equal(48, weights.Fc1Bias.Length);
        Assert.Equal(48 * 12, weights.Fc2Weight.Length);
        Assert.Equal(12, weights.Ln2Bias.Length);
    }

    [Fact]
    public void Random_DefaultScale_HasRequestedMeanAndDeviation()
    {
        VitBlockWeights weights = VitBlockWeights.Random(64, 256, seed: 3);

        (double mean, double std) = Moments(weights.Fc1Weight);
        Assert.InRange(mean, -0.002, 0.002);
        Assert.InRange(std, 0.019, 0.021);
        (double scaleMean, double scaleStd) = Moments(weights.Ln1Scale);
        Assert.InRange(scaleMean, 0.99, 1.01);
        Assert.InRange(scaleStd, 0.01, 0.03);
    }

    private static (double Mean, double Std) Moments(float[] values)
    {
        double sum = 0;
        double squares = 0;
        foreach (float value in values)
        {
            sum += value;
            squares += value * (double)value;
        }

        double mean = sum / values.Length;
        return (mean, Math.Sqrt((squares / values.Length) - (mean * mean)));
    }
}
