using EdgeCloudVlm.Codec.Frames;

namespace EdgeCloudVlm.Codec.Baselines;

/// <summary>Header checks shared by the scalar baselines, whose payload length follows from the shape alone.</summary>
internal static class ScalarFrame
{
    public static void CheckShape(ReadOnlySpan<float> features, int tokens, int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if (features.Length != (long)tokens * dimension)
        {
            throw new ArgumentException($"Expected {tokens} x {dimension} values, got {features.Length}.", nameof(features));
        }
    }

    public static FrameStatus ReadHeader(
        ReadOnlySpan<byte> frame,
        FrameKind expectedKind,
        Span<float> features,
        Func<int, int, int> payloadLength,
        out FrameHeader header)
    {
        var status = FrameFormat.TryReadHeader(frame, out header);
        if (status != FrameStatus.Ok)
        {
            return status;
        }

        if (header.Kind != expectedKind)
        {
            return FrameStatus.CodebookMismatch;
        }

        if (header.PayloadLength != payloadLength(header.Tokens, header.Dimension))
        {
            return FrameStatus.CorruptPayload;
        }

        return features.Length < (long)header.Tokens * header.Dimension ? FrameStatus.DestinationTooSmall : FrameStatus.Ok;
    }
}
