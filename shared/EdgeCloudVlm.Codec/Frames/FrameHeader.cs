namespace EdgeCloudVlm.Codec.Frames;

/// <summary>The parsed fixed part of a frame.</summary>
/// <param name="Version">Format version.</param>
/// <param name="Kind">Codec that produced the payload.</param>
/// <param name="Flags">Payload options.</param>
/// <param name="CodebookTag">First 8 bytes of the codebook's SHA-256 (zero for scalar kinds).</param>
/// <param name="Tokens">Number of tokens (rows) in the tensor.</param>
/// <param name="Dimension">Channels per token.</param>
/// <param name="PayloadOffset">Where the payload starts in the frame.</param>
/// <param name="PayloadLength">Payload bytes (between the header and the checksum).</param>
public readonly record struct FrameHeader(
    byte Version,
    FrameKind Kind,
    FrameFlags Flags,
    ulong CodebookTag,
    int Tokens,
    int Dimension,
    int PayloadOffset,
    int PayloadLength)
{
    /// <summary>Whole frame length including the checksum.</summary>
    public int FrameLength => PayloadOffset + PayloadLength + FrameFormat.ChecksumLength;

    /// <summary>Size of the same tensor as IEEE half precision, the denominator of every compression ratio.</summary>
    public long Float16Bytes => (long)Tokens * Dimension * 2;
}
