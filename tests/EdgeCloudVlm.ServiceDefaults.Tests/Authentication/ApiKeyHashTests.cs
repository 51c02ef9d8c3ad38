using EdgeCloudVlm.ServiceDefaults.Authentication;

namespace EdgeCloudVlm.ServiceDefaults.Tests.Authentication;

public sealed class ApiKeyHashTests
{
    [Fact]
    public void Compute_KnownVector_MatchesSha256sum()
    {
        // printf %s abc | sha256sum
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", ApiKeyHash.Compute("abc"));
    }

    [Fact]
    public void Compute_NonAsciiKey_HashesUtf8Bytes()
    {
        // printf %s 'clé' | sha256sum
        Assert.Equal("51cbcf30514d0802eb5c60a018f384ea3fb9b69307c554ee63ecb43177594de4", ApiKeyHash.Compute("clé"));
    }

    [Theory]
    [InlineData("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", true)]
    [InlineData("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", true)]
    [InlineData("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a", false)]
    [InlineData("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015adb", false)]
    [InlineData("za7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void TryParse_Text_AcceptsOnly64HexCharacters(string? text, bool expected)
    {
        Assert.Equal(expected, ApiKeyHash.TryParse(text, out var hash));
        Assert.Equal(expected ? 32 : 0, hash.Length);
    }
}
