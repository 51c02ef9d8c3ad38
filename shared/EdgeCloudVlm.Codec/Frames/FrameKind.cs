namespace EdgeCloudVlm.Codec.Frames;

/// <summary>Which codec produced a frame. Stored in the low nibble of the kind byte.</summary>
public enum FrameKind : byte
{
    /// <summary>AlignedVQ (or plain VQ): quantization indices against a named codebook.</summary>
    VectorQuantized = 1,
    /// <summary>Raw IEEE half precision, the reference size every ratio is computed against.</summary>
    Float16 = 2,
    /// <summary>Symmetric per-token int8 with one half-precision scale per token.</summary>
    Int8PerToken = 3,
    /// <summary>Symmetric per-token int4 with one half-precision scale per token.</summary>
    Int4PerToken = 4,
}

/// <summary>Frame options, stored in the high nibble of the kind byte.</summary>
[Flags]
public enum FrameFlags : byte
{
    /// <summary>No options.</summary>
    None = 0,
    /// <summary>Symbols are rANS coded with the codebook's frequency tables instead of bit packed.</summary>
    EntropyCoded = 1,
    /// <summary>Per-token mean and RMS symbols precede the indices.</summary>
    TokenStatistics = 2,
}
