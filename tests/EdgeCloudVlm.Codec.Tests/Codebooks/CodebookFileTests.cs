using EdgeCloudVlm.Codec.Codebooks;

namespace EdgeCloudVlm.Codec.Tests.Codebooks;

public sealed class CodebookFileTests(CodecFixture fixture) : IClassFixture<CodecFixture>
{
    [Fact]
    public void Load_SavedBytes_GivesTheSameIdAndCodec()
    {
        var loaded = CodebookFile.Load(fixture.Aligned.FileBytes.ToArray(), fixture.Aligned.Id);

        Assert.Equal(fixture.Aligned.Id, loaded.Id);
        Assert.Equal(
            AlignedVqCodecTests.Encode(new AlignedVqCodec(fixture.Aligned), fixture.Evaluation),
            AlignedVqCodecTests.Encode(new AlignedVqCodec(loaded), fixture.Evaluation));
    }

    [Fact]
    public void Train_SameSeed_GivesByteIdenticalCodebook()
    {
        var config = new AlignedVqConfig { ProjectionDimension = 32, Groups = 2, Stages = 2, CodebookSize = 64 };

        var again = fixture.Train(config);

        Assert.Equal(fixture.Aligned.Id, again.Id);
        Assert.True(fixture.Aligned.FileBytes.SequenceEqual(again.FileBytes));
    }

    [Fact]
    public void Train_OtherSeed_GivesAnotherId()
    {
        var other = fixture.Train(new AlignedVqConfig { ProjectionDimension = 32, Groups = 2, Stages = 2, CodebookSize = 64 }, seed: 8);

        Assert.NotEqual(fixture.Aligned.Id, other.Id);
    }

    [Fact]
    public void Load_TamperedBody_IsRejectedByHash()
    {
        var bytes = fixture.Aligned.FileBytes.ToArray();
        bytes[^10] ^= 0x01;

        var error = Assert.Throws<InvalidDataException>(() => CodebookFile.Load(bytes));
        Assert.Contains("hash", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Load_UnexpectedId_IsRejected()
    {
        Assert.Throws<InvalidDataException>(() => CodebookFile.Load(fixture.Aligned.FileBytes.ToArray(), fixture.Plain.Id));
    }

    [Fact]
    public void Load_Garbage_IsInvalidData()
    {
        Assert.Throws<InvalidDataException>(() => CodebookFile.Load(new byte[] { 1, 2, 3 }));
    }

    [Fact]
    public void Create_InconsistentDocument_NamesTheProblem()
    {
        var document = CodebookFile.Load(fixture.Aligned.FileBytes.ToArray()).Document;
        document.Quantizer.DimensionOrder[0] = document.Quantizer.DimensionOrder[1];

        var error = Assert.Throws<InvalidDataException>(() => CodebookFile.Create(document));
        Assert.Contains("dimension order", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_RecordsMetadata()
    {
        var training = fixture.Aligned.Document.Training;

        Assert.Equal(7, training.Seed);
        Assert.Equal(60L * CodecFixture.Tokens, training.SampleCount);
        Assert.Equal(4, training.StageDistortions.Length);
        Assert.InRange(training.FinalDistortion, 0, 0.1);
        Assert.Equal("norm16x16-center-pca32-g2-s2-k64", training.Configuration);
    }
}
