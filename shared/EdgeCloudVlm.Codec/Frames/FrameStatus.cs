namespace EdgeCloudVlm.Codec.Frames;

/// <summary>Outcome of parsing or decoding a codec frame. Every malformed-input case has its own value.</summary>
public enum FrameStatus
{
    /// <summary>The frame is well formed and was decoded.</summary>
    Ok = 0,
    /// <summary>The input ends before the header or the payload it announces.</summary>
    Truncated,
    /// <summary>The first bytes are not the frame magic.</summary>
    BadMagic,
    /// <summary>The frame format version is not one this build reads.</summary>
    UnsupportedVersion,
    /// <summary>The frame names a codec kind this build does not know.</summary>
    UnknownKind,
    /// <summary>Token count or dimension is zero, beyond limits, or does not match the codebook.</summary>
    ShapeMismatch,
    /// <summary>The frame was made with a different codebook (or codec kind) than the decoder holds.</summary>
    CodebookMismatch,
    /// <summary>The CRC-32 over the frame does not match.</summary>
    ChecksumMismatch,
    /// <summary>A quantization index or statistic symbol is outside its table.</summary>
    IndexOutOfRange,
    /// <summary>Bytes follow the checksum.</summary>
    TrailingBytes,
    /// <summary>The payload length disagrees with its shape, or the entropy-coded stream does not decode cleanly.</summary>
    CorruptPayload,
    /// <summary>The destination buffer is smaller than tokens x dimension.</summary>
    DestinationTooSmall,
}
