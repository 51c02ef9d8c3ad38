using EdgeCloudVlm.Codec.Baselines;
using EdgeCloudVlm.Codec.Frames;

namespace EdgeCloudVlm.Codec.Tests.Baselines;

public sealed class BaselineCodecTests
{
    private const int Tokens = 7;
    private const int Dimension = 10;

    [Fact]
    public void Float16_RepresentableValues_AreExact()
    {
        var features = Values(i => (float)(Half)((i - 30) * 0.125f + (i % 3 == 0 ? 1024f : 0f)));

        var decoded = RoundTrip(new Float16Codec(), features, out var frameLength);

        Assert.Equal(features, decoded);
        Assert.Equal(FrameFormat.FrameLength(FrameKind.Float16, Tokens * Dimension * 2), frameLength);
    }

    [Theory]
    [InlineData(8, 127)]
    [InlineData(4, 7)]
    public void PerTokenInt_MultiplesOfTheScale_AreExact(int bits, int qmax)
    {
        // Each token's largest magnitude is qmax * scale with a power-of-two scale, so every value is representable.
        var features = new float[Tokens * Dimension];
        for (var t = 0; t < Tokens; t++)
        {
            var scale = MathF.Pow(2f, t - 3);
            for (var d = 0; d < Dimension; d++)
            {
                var q = d == 0 ? qmax : ((t * 5) + (d * 3)) % ((2 * qmax) + 1) - qmax;
                features[(t * Dimension) + d] = q * scale;
            }
        }

        var decoded = RoundTrip(new PerTokenIntCodec(bits), features, out _);

        Assert.Equal(features, decoded);
    }

    [Theory]
    [InlineData(8, 0.01)]
    [InlineData(4, 0.2)]
    public void PerTokenInt_ArbitraryValues_ErrIsBoundedByHalfAStep(int bits, double maxRelativeStep)
    {
        var random = new Random(3);
        var features = Values(_ => (float)((random.NextDouble() * 2) - 1) * 50f);

        var decoded = RoundTrip(new PerTokenIntCodec(bits), features, out _);

        for (var i = 0; i < features.Length; i++)
        {
            Assert.InRange(Math.Abs(features[i] - decoded[i]), 0, 50 * maxRelativeStep);
        }
    }

    [Fact]
    public void PerTokenInt_ZeroToken_DecodesToZero()
    {
        var features = new float[Tokens * Dimension];

        Assert.All(RoundTrip(new PerTokenIntCodec(4), features, out _), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Decode_FrameOfAnotherKind_IsAMismatch()
    {
        var features = Values(i => i);
        var fp16 = new Float16Codec();
        var frame = new byte[fp16.GetMaxFrameLength(Tokens, Dimension)];
        fp16.Encode(features, Tokens, Dimension, frame);

        Assert.Equal(FrameStatus.CodebookMismatch, new PerTokenIntCodec(8).Decode(frame, new float[features.Length], out _));
    }

    private static float[] Values(Func<int, float> value)
    {
        var features = new float[Tokens * Dimension];
        for (var i = 0; i < features.Length; i++)
        {
            features[i] = value(i);
        }

        return features;
    }

    private static float[] RoundTrip(IFeatureCodec codec, float[] features, out int frameLength)
    {
        var frame = new byte[codec.GetMaxFrameLength(Tokens, Dimension)];
        frameLength = codec.Encode(features, Tokens, Dimension, frame);
        var decoded = new float[features.Length];
        Assert.Equal(FrameStatus.Ok, codec.Decode(frame.AsSpan(0, frameLength), decoded, out _));
        return decoded;
    }
}
