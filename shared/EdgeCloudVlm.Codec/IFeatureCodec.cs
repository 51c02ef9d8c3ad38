using EdgeCloudVlm.Codec.Frames;

namespace EdgeCloudVlm.Codec;

/// <summary>
/// Turns a [tokens, dimension] float tensor into a self-describing frame and back. AlignedVQ and the baselines it is
/// compared with share this interface and the frame container, so their sizes are counted the same way.
/// </summary>
public interface IFeatureCodec
{
    /// <summary>Short name used in reports and metrics.</summary>
    string Name { get; }

    /// <summary>An upper bound on the frame length for a tensor of this shape.</summary>
    int GetMaxFrameLength(int tokens, int dimension);

    /// <summary>Encodes row-major <paramref name="features"/> and returns the number of bytes written to <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException">The shape does not fit the codec or the destination is too small.</exception>
    int Encode(ReadOnlySpan<float> features, int tokens, int dimension, Span<byte> destination);

    /// <summary>Decodes a frame into row-major <paramref name="features"/>. Expected failures are reported, never thrown.</summary>
    FrameStatus Decode(ReadOnlySpan<byte> frame, Span<float> features, out FrameHeader header);
}
