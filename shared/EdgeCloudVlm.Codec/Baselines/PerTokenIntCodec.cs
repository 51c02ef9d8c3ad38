using System.Buffers.Binary;
using System.Numerics.Tensors;
using EdgeCloudVlm.Codec.Frames;

namespace EdgeCloudVlm.Codec.Baselines;

/// <summary>
/// Symmetric per-token scalar quantization (the usual int8 / int4 activation baselines): each token stores one
/// half-precision scale (max |x| / qmax) and one signed integer per channel.
/// </summary>
public sealed class PerTokenIntCodec : IFeatureCodec
{
    private readonly int _bits;
    private readonly int _qmax;
    private readonly FrameKind _kind;

    /// <summary>Creates the int8 (<paramref name="bits"/> = 8) or int4 (<paramref name="bits"/> = 4) baseline.</summary>
    public PerTokenIntCodec(int bits)
    {
        if (bits is not (8 or 4))
        {
            throw new ArgumentOutOfRangeException(nameof(bits), bits, "Only 8 and 4 bit baselines exist.");
        }

        _bits = bits;
        _qmax = (1 << (bits - 1)) - 1;
        _kind = bits == 8 ? FrameKind.Int8PerToken : FrameKind.Int4PerToken;
    }

    /// <inheritdoc />
    public string Name => _bits == 8 ? "int8-per-token" : "int4-per-token";

    /// <inheritdoc />
    public int GetMaxFrameLength(int tokens, int dimension) => FrameFormat.FrameLength(_kind, PayloadLength(tokens, dimension));

    /// <inheritdoc />
    public int Encode(ReadOnlySpan<float> features, int tokens, int dimension, Span<byte> destination)
    {
        ScalarFrame.CheckShape(features, tokens, dimension);
        var payloadLength = PayloadLength(tokens, dimension);
        var offset = FrameFormat.WriteHeader(destination, _kind, FrameFlags.None, 0, tokens, dimension, payloadLength);
        var payload = destination.Slice(offset, payloadLength);
        payload.Clear();
        var rowBytes = RowBytes(dimension);
        for (var t = 0; t < tokens; t++)
        {
            var row = features.Slice(t * dimension, dimension);
            var scale = (Half)(TensorPrimitives.MaxMagnitude(row) / _qmax);
            var inverse = (float)scale == 0f ? 0f : 1f / (float)scale;
            var target = payload.Slice(t * rowBytes, rowBytes);
            BinaryPrimitives.WriteHalfLittleEndian(target, scale);
            var values = target[2..];
            for (var d = 0; d < dimension; d++)
            {
                var q = (int)MathF.Round(row[d] * inverse, MidpointRounding.ToEven);
                q = Math.Clamp(q, -_qmax, _qmax);
                if (_bits == 8)
                {
                    values[d] = (byte)(sbyte)q;
                }
                else
                {
                    values[d >> 1] |= (byte)((q & 0x0F) << ((d & 1) * 4));
                }
            }
        }

        return FrameFormat.Seal(destination, offset + payloadLength);
    }

    /// <inheritdoc />
    public FrameStatus Decode(ReadOnlySpan<byte> frame, Span<float> features, out FrameHeader header)
    {
        var status = ScalarFrame.ReadHeader(frame, _kind, features, PayloadLength, out header);
        if (status != FrameStatus.Ok)
        {
            return status;
        }

        var payload = frame.Slice(header.PayloadOffset, header.PayloadLength);
        var dimension = header.Dimension;
        var rowBytes = RowBytes(dimension);
        for (var t = 0; t < header.Tokens; t++)
        {
            var source = payload.Slice(t * rowBytes, rowBytes);
            var scale = (float)BinaryPrimitives.ReadHalfLittleEndian(source);
            var values = source[2..];
            var row = features.Slice(t * dimension, dimension);
            for (var d = 0; d < dimension; d++)
            {
                int q = _bits == 8 ? (sbyte)values[d] : ((sbyte)(values[d >> 1] << (4 - ((d & 1) * 4))) >> 4);
                row[d] = q * scale;
            }
        }

        return FrameStatus.Ok;
    }

    private int RowBytes(int dimension) => 2 + (_bits == 8 ? dimension : (dimension + 1) / 2);

    private int PayloadLength(int tokens, int dimension) => checked(tokens * RowBytes(dimension));
}
