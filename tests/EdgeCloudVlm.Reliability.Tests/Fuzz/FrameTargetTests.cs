using CsCheck;
using EdgeCloudVlm.Fuzz.Inputs;
using EdgeCloudVlm.Fuzz.Targets;
using EdgeCloudVlm.Reliability.Tests.Support;

namespace EdgeCloudVlm.Reliability.Tests.Fuzz;

/// <summary>The frame parser and decoders on hostile bytes (CsCheck shrinks any failure to a small input).</summary>
public sealed class FrameTargetTests(FuzzFixture fixture) : IClassFixture<FuzzFixture>
{
    [Fact]
    public void Run_GeneratedFrames_RefusedOrDecodedNeverThrows()
    {
        var target = new FrameTarget(fixture.Subjects);

        fixture.Inputs.Frames.Sample(input => target.Run(input), iter: 30_000, threads: 1);
    }

    [Fact]
    public void Run_EverySeed_Accepted()
    {
        var target = new FrameTarget(fixture.Subjects);

        Assert.All(SeedCorpus.Frames(fixture.Subjects), seed => Assert.Equal(FuzzOutcome.Accepted, target.Run(seed)));
    }

    [Fact]
    public void Run_EverySeedCutShort_Rejected()
    {
        var target = new FrameTarget(fixture.Subjects);

        Assert.All(SeedCorpus.Frames(fixture.Subjects), seed =>
        {
            for (int length = 0; length < seed.Length; length++)
            {
                Assert.Equal(FuzzOutcome.Rejected, target.Run(seed.AsSpan(0, length)));
            }
        });
    }
}
