using System.Buffers.Binary;
using EdgeCloudVlm.Codec.Frames;

namespace EdgeCloudVlm.Codec.Baselines;

/// <summary>Raw IEEE half precision: the reference every compression ratio divides by, framed like the others.</summary>
public sealed class Float16Codec : IFeatureCodec
{
    /// <inheritdoc />
    public string Name => "fp16";

    /// <inheritdoc />
    public int GetMaxFrameLength(int tokens, int dimension) => FrameFormat.FrameLength(FrameKind.Float16, PayloadLength(tokens, dimension));

    /// <inheritdoc />
    public int Encode(ReadOnlySpan<float> features, int tokens, int dimension, Span<byte> destination)
    {
        ScalarFrame.CheckShape(features, tokens, dimension);
        var payloadLength = PayloadLength(tokens, dimension);
        var offset = FrameFormat.WriteHeader(destination, FrameKind.Float16, FrameFlags.None, 0, tokens, dimension, payloadLength);
        var payload = destination.Slice(offset, payloadLength);
        for (var i = 0; i < features.Length; i++)
        {
            BinaryPrimitives.WriteHalfLittleEndian(payload[(2 * i)..], (Half)features[i]);
        }

        return FrameFormat.Seal(destination, offset + payloadLength);
    }

    /// <inheritdoc />
    public FrameStatus Decode(ReadOnlySpan<byte> frame, Span<float> features, out FrameHeader header)
    {
        var status = ScalarFrame.ReadHeader(frame, FrameKind.Float16, features, PayloadLength, out header);
        if (status != FrameStatus.Ok)
        {
            return status;
        }

        var payload = frame.Slice(header.PayloadOffset, header.PayloadLength);
        var count = header.Tokens * header.Dimension;
        for (var i = 0; i < count; i++)
        {
            features[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(payload[(2 * i)..]);
        }

        return FrameStatus.Ok;
    }

    private static int PayloadLength(int tokens, int dimension) => checked(tokens * dimension * 2);
}
