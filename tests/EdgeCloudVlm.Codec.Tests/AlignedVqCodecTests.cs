using EdgeCloudVlm.Codec.Frames;

namespace EdgeCloudVlm.Codec.Tests;

public sealed class AlignedVqCodecTests(CodecFixture fixture) : IClassFixture<CodecFixture>
{
    private const int Tokens = CodecFixture.Tokens;
    private const int Dimension = CodecFixture.Dimension;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void EncodeDecode_UnseenSample_ReconstructsWithinBound(bool entropyCoding)
    {
        var codec = new AlignedVqCodec(fixture.Aligned, new AlignedVqCodecOptions { EntropyCoding = entropyCoding });
        var decoded = RoundTrip(codec, fixture.Evaluation, out var frameLength);

        Assert.True(CodecFixture.RelativeError(fixture.Evaluation, decoded) < 0.08, $"relative error {CodecFixture.RelativeError(fixture.Evaluation, decoded)}");
        Assert.True(frameLength < Tokens * Dimension * 2 / 50, $"frame of {frameLength} bytes");
    }

    [Fact]
    public void Encode_EntropyCoding_IsSmallerThanPackingAndDecodesToTheSameTensor()
    {
        var packed = new AlignedVqCodec(fixture.Aligned, new AlignedVqCodecOptions { EntropyCoding = false });
        var coded = new AlignedVqCodec(fixture.Aligned, new AlignedVqCodecOptions { EntropyCoding = true });

        var fromPacked = RoundTrip(packed, fixture.Evaluation, out var packedLength);
        var fromCoded = RoundTrip(coded, fixture.Evaluation, out var codedLength);

        Assert.True(codedLength < packedLength, $"{codedLength} >= {packedLength}");
        Assert.Equal(fromPacked, fromCoded);
    }

    [Fact]
    public void Encode_Parallel_WritesTheSameBytesAsSerial()
    {
        var serial = new AlignedVqCodec(fixture.Aligned, new AlignedVqCodecOptions { MaxDegreeOfParallelism = 1 });
        var parallel = new AlignedVqCodec(fixture.Aligned, new AlignedVqCodecOptions { MaxDegreeOfParallelism = 4 });

        Assert.Equal(Encode(serial, fixture.Evaluation), Encode(parallel, fixture.Evaluation));
    }

    [Fact]
    public void Decode_AlignedCodebook_BeatsPlainVqAtTheSameQuantizer()
    {
        var aligned = RoundTrip(new AlignedVqCodec(fixture.Aligned), fixture.Evaluation, out _);
        var plain = RoundTrip(new AlignedVqCodec(fixture.Plain), fixture.Evaluation, out _);

        Assert.True(CodecFixture.RelativeError(fixture.Evaluation, aligned) < CodecFixture.RelativeError(fixture.Evaluation, plain) / 2);
    }

    [Fact]
    public void RoundTrip_MatchesEncodeThenDecode()
    {
        var codec = new AlignedVqCodec(fixture.Aligned);
        var viaFrame = RoundTrip(codec, fixture.Evaluation, out _);
        var direct = new float[Tokens * Dimension];

        codec.RoundTrip(fixture.Evaluation, Tokens, direct);

        Assert.Equal(viaFrame, direct);
    }

    [Fact]
    public void Encode_WrongDimension_Throws()
    {
        var codec = new AlignedVqCodec(fixture.Aligned);
        var buffer = new byte[codec.GetMaxFrameLength(Tokens, Dimension)];

        Assert.Throws<ArgumentException>(() => codec.Encode(new float[Tokens * 32], Tokens, 32, buffer));
    }

    [Fact]
    public void Decode_ConstantToken_IsFiniteAndExactEnough()
    {
        var features = (float[])fixture.Evaluation.Clone();
        Array.Fill(features, 3.5f, 0, Dimension);
        var decoded = RoundTrip(new AlignedVqCodec(fixture.Aligned), features, out _);

        Assert.All(decoded, value => Assert.True(float.IsFinite(value)));
        Assert.InRange(decoded[0], 3.0f, 4.0f);
    }

    internal static byte[] Encode(IFeatureCodec codec, float[] features)
    {
        var buffer = new byte[codec.GetMaxFrameLength(Tokens, Dimension)];
        var length = codec.Encode(features, Tokens, Dimension, buffer);
        return buffer.AsSpan(0, length).ToArray();
    }

    private static float[] RoundTrip(IFeatureCodec codec, float[] features, out int frameLength)
    {
        var frame = Encode(codec, features);
        frameLength = frame.Length;
        var decoded = new float[features.Length];
        Assert.Equal(FrameStatus.Ok, codec.Decode(frame, decoded, out var header));
        Assert.Equal(Tokens, header.Tokens);
        Assert.Equal(Dimension, header.Dimension);
        return decoded;
    }
}
