using EdgeCloudVlm.Contracts.V1;

namespace EdgeCloudVlm.Contracts.Tests;

public sealed class CommonMessagesTests
{
    [Fact]
    public void GenerationParameters_Unset_HasNoPresenceAfterRoundTrip()
    {
        GenerationParameters parsed = ProtoRoundTrip.Binary(new GenerationParameters());

        Assert.False(parsed.HasMaxTokens);
        Assert.False(parsed.HasTemperature);
        Assert.False(parsed.HasTopP);
        Assert.False(parsed.HasTopK);
        Assert.False(parsed.HasSeed);
        Assert.Empty(parsed.Stop);
    }

    [Fact]
    public void GenerationParameters_ExplicitZeros_KeepPresence()
    {
        var parameters = new GenerationParameters { Temperature = 0f, Seed = 0, TopK = 0 };

        GenerationParameters parsed = ProtoRoundTrip.Binary(parameters);

        Assert.True(parsed.HasTemperature);
        Assert.True(parsed.HasSeed);
        Assert.True(parsed.HasTopK);
        Assert.False(parsed.HasTopP);
    }

    [Fact]
    public void ErrorDetail_RoundTrip_KeepsCodeAndRetryAfter()
    {
        ErrorDetail error = Samples.Error();

        ErrorDetail parsed = ProtoRoundTrip.Binary(error);

        Assert.Equal(error, parsed);
        Assert.Equal(ErrorCode.UnknownCodebook, parsed.Code);
        Assert.Equal(TimeSpan.FromSeconds(2), parsed.RetryAfter.ToTimeSpan());
    }

    // The numbers are the wire format: renumbering would silently change meaning for deployed edges.
    [Theory]
    [InlineData(ErrorCode.Unspecified, 0)]
    [InlineData(ErrorCode.InvalidFrame, 1)]
    [InlineData(ErrorCode.UnknownCodebook, 2)]
    [InlineData(ErrorCode.UnknownModel, 3)]
    [InlineData(ErrorCode.InvalidImage, 4)]
    [InlineData(ErrorCode.LimitExceeded, 5)]
    [InlineData(ErrorCode.Overloaded, 6)]
    [InlineData(ErrorCode.DeadlineExceeded, 7)]
    [InlineData(ErrorCode.Cancelled, 8)]
    [InlineData(ErrorCode.Internal, 9)]
    [InlineData(ErrorCode.Unauthenticated, 10)]
    [InlineData(ErrorCode.PermissionDenied, 11)]
    public void ErrorCode_Value_HasStableWireNumber(ErrorCode code, int expected)
    {
        Assert.Equal(expected, (int)code);
        Assert.Equal(code, ProtoRoundTrip.Binary(new ErrorDetail { Code = code }).Code);
    }

    [Fact]
    public void ErrorCode_Enumeration_HasExactlyTheDocumentedValues()
    {
        Assert.Equal(12, Enum.GetValues<ErrorCode>().Length);
    }
}
