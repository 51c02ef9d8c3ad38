namespace EdgeCloudVlm.Codec.Tests;

public sealed class AlignedVqConfigTests
{
    [Theory]
    [InlineData("norm16x32-center-pca256-g2-s3-k1024")]
    [InlineData("raw-g4-s1-k256")]
    [InlineData("norm8x8-g1-s1-k65536")]
    public void Parse_ToString_RoundTrips(string text)
    {
        Assert.Equal(text, AlignedVqConfig.Parse(text).ToString());
    }

    [Fact]
    public void NominalBitsPerToken_CountsIndicesAndStatistics()
    {
        var config = AlignedVqConfig.Parse("norm16x32-center-g2-s3-k1000");

        Assert.Equal((2 * 3 * 10) + 4 + 5, config.NominalBitsPerToken);
    }

    [Theory]
    [InlineData("norm16-g1-s1-k1")]
    [InlineData("norm16-g1-s1-k70000")]
    [InlineData("norm16-pca2000-g1-s1-k16")]
    [InlineData("norm16-g0-s1-k16")]
    public void Validate_OutOfRange_Throws(string text)
    {
        Assert.Throws<ArgumentException>(() => AlignedVqConfig.Parse(text).Validate(1024));
    }

    [Fact]
    public void Parse_UnknownPart_Throws()
    {
        Assert.Throws<FormatException>(() => AlignedVqConfig.Parse("norm16-zz"));
    }
}
