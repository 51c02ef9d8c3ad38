using CsCheck;
using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Fuzz.Inputs;
using EdgeCloudVlm.Fuzz.Targets;
using EdgeCloudVlm.Reliability.Tests.Support;

namespace EdgeCloudVlm.Reliability.Tests.Fuzz;

/// <summary>The codebook loader refuses every bad file with <see cref="InvalidDataException"/>, and a file it loads works.</summary>
public sealed class CodebookTargetTests(FuzzFixture fixture) : IClassFixture<FuzzFixture>
{
    [Fact]
    public void Run_GeneratedFiles_RefusedWithInvalidDataOrUsable()
    {
        var target = new CodebookTarget();

        fixture.Inputs.Codebooks.Sample(input => target.Run(input), iter: 4_000, threads: 1);
    }

    [Fact]
    public void Run_EverySeed_Accepted()
    {
        var target = new CodebookTarget();

        Assert.All(SeedCorpus.Codebooks(fixture.Subjects), seed => Assert.Equal(FuzzOutcome.Accepted, target.Run(seed)));
    }

    [Fact]
    public void Load_MessagePackNil_ThrowsInvalidData()
    {
        // 0xC0 is MessagePack nil: it deserializes to a null envelope.
        Assert.Throws<InvalidDataException>(() => CodebookFile.Load(new byte[] { 0xC0 }));
    }
}
