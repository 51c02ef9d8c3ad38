using EdgeCloudVlm.Inference.Generation;

namespace EdgeCloudVlm.Inference.Tests.Generation;

public sealed class TokenSamplerTests
{
    private static readonly float[] Logits = [1.0f, 3.0f, 2.5f, 3.0f, -1f, 0.5f, 2.9f, 0f];

    [Fact]
    public void ArgMax_Ties_ReturnsFirstIndex()
    {
        Assert.Equal(1, TokenSampler.ArgMax(Logits));
    }

    [Fact]
    public void Sample_Greedy_IsArgMax()
    {
        var sampler = new TokenSampler(SamplingOptions.Greedy);

        Assert.Equal(1, sampler.Sample(Logits));
    }

    [Fact]
    public void Sample_SameSeed_SameSequence()
    {
        var options = new SamplingOptions { Temperature = 1.5f, Seed = 42 };
        var a = new TokenSampler(options);
        var b = new TokenSampler(options);

        int[] first = Enumerable.Range(0, 50).Select(_ => a.Sample(Logits)).ToArray();
        int[] second = Enumerable.Range(0, 50).Select(_ => b.Sample(Logits)).ToArray();

        Assert.Equal(first, second);
        Assert.True(first.Distinct().Count() > 2, "temperature sampling should visit several tokens");
    }

    [Fact]
    public void Sample_DifferentSeeds_Differ()
    {
        int[] Draw(long seed)
        {
            var s = new TokenSampler(new SamplingOptions { Temperature = 1.5f, Seed = seed });
            return Enumerable.Range(0, 50).Select(_ => s.Sample(Logits)).ToArray();
        }

        Assert.NotEqual(Draw(1), Draw(2));
    }

    [Fact]
    public void Sample_TopK_StaysInTopK()
    {
        var sampler = new TokenSampler(new SamplingOptions { Temperature = 5f, TopK = 3, Seed = 7 });

        var seen = Enumerable.Range(0, 300).Select(_ => sampler.Sample(Logits)).ToHashSet();

        Assert.Subset(new HashSet<int> { 1, 3, 6 }, seen);
        Assert.True(seen.Count >= 2);
    }

    [Fact]
    public void Sample_SmallTopP_KeepsOnlyTheMostLikely()
    {
        var sampler = new TokenSampler(new SamplingOptions { Temperature = 1f, TopP = 0.05f, Seed = 3 });

        var seen = Enumerable.Range(0, 100).Select(_ => sampler.Sample(Logits)).ToHashSet();

        Assert.Single(seen);
    }

    [Fact]
    public void Sample_Frequencies_FollowSoftmax()
    {
        float[] logits = [0f, MathF.Log(3f)];
        var sampler = new TokenSampler(new SamplingOptions { Temperature = 1f, Seed = 11 });

        int ones = Enumerable.Range(0, 4000).Count(_ => sampler.Sample(logits) == 1);

        Assert.InRange(ones / 4000.0, 0.72, 0.78);
    }

    [Fact]
    public void Sample_NaNLogit_NeverChosen()
    {
        float[] logits = [float.NaN, 0f, 0f];
        var sampler = new TokenSampler(new SamplingOptions { Temperature = 1f, Seed = 5 });

        Assert.DoesNotContain(0, Enumerable.Range(0, 200).Select(_ => sampler.Sample(logits)));
    }

    [Theory]
    [InlineData(-1f, 0, 1f)]
    [InlineData(1f, -1, 1f)]
    [InlineData(1f, 0, 0f)]
    [InlineData(1f, 0, 1.5f)]
    public void Constructor_InvalidOptions_Throw(float temperature, int topK, float topP)
    {
        Assert.Throws<ArgumentOutOfRangeException>(
            () => new TokenSampler(new SamplingOptions { Temperature = temperature, TopK = topK, TopP = topP }));
    }
}
