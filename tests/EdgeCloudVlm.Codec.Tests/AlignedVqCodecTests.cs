using EdgeCloudVlm.Codec.Frames;

namespace EdgeCloudVlm.Codec.Tests;

public sealed class AlignedVqCodecTests(CodecFixture fixture) : IClassFixture<CodecFixture>
{
    private const int Tokens = CodecFixture.Tokens;
    private const int Dimension = CodecFixture.Dimension;

    // Bounds sit about 1.5x above what these configurations measure on this generator, so a real regression trips them.
    [Theory]
    [InlineData("aligned", true, 0.2, 25)]
    [InlineData("aligned", false, 0.2, 25)]
    [InlineData("plain", true, 0.3, 40)]
    [InlineData("small", false, 0.75, 60)]
    public void EncodeDecode_UnseenSample_ReconstructsWithinBound(string codebook, bool entropyCoding, double maxRelativeError, int minCompression)
    {
        var chosen = codebook switch { "aligned" => fixture.Aligned, "plain" => fixture.Plain, _ => fixture.Small };
        var codec = new AlignedVqCodec(chosen, new AlignedVqCodecOptions { EntropyCoding = entropyCoding });
        var decoded = RoundTrip(codec, fixture.Evaluation, out var frameLength);

        var error = CodecFixture.RelativeError(fixture.Evaluation, decoded);
        Assert.True(error < maxRelativeError, $"relative error {error}");
        Assert.True(frameLength * minCompression < Tokens * Dimension * 2, $"frame of {frameLength} bytes");
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

        Assert.True(CodecFixture.RelativeError(fixture.Evaluation, aligned) < CodecFixture.RelativeError(fixture.Evaluation, plain));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void EncodeDecode_AfterWarmUp_AllocateNothing(bool entropyCoding)
    {
        var codec = new AlignedVqCodec(fixture.Aligned, new AlignedVqCodecOptions { EntropyCoding = entropyCoding });
        var frame = new byte[codec.GetMaxFrameLength(Tokens, Dimension)];
        var decoded = new float[Tokens * Dimension];
        var length = 0;
        void Cycle()
        {
            length = codec.Encode(fixture.Evaluation, Tokens, Dimension, frame);
            codec.Decode(frame.AsSpan(0, length), decoded, out _);
        }

        Cycle();
        Cycle();
        var before = GC.GetAllocatedBytesForCurrentThread();
        Cycle();

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
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
    public void Decode_DegenerateTokens_StayFinite()
    {
        // A token equal to the channel bias has zero RMS after debiasing; a constant token is far outside calibration.
        var features = (float[])fixture.Evaluation.Clone();
        Array.Fill(features, 3.5f, 0, Dimension);
        fixture.Aligned.Document.Alignment.ChannelBias.AsSpan().CopyTo(features.AsSpan(Dimension, Dimension));
        var decoded = RoundTrip(new AlignedVqCodec(fixture.Aligned), features, out _);

        Assert.All(decoded, value => Assert.True(float.IsFinite(value)));
        Assert.True(CodecFixture.RelativeError(features.AsSpan(2 * Dimension), decoded.AsSpan(2 * Dimension)) < 0.2);
    }

    internal static byte[] Encode(IFeatureCodec codec, float[] features)
    {
        var buffer = new byte[codec.GetMaxFrameLength(Tokens, Dimension)];
        var length = codec.Encode(features, Tokens, Dimension, buffer);
        return buffer.AsSpan(0, length).ToArray();
    }

    private static float[] RoundTrip(AlignedVqCodec codec, float[] features, out int frameLength)
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
