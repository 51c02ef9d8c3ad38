namespace EdgeCloudVlm.Inference.Preprocessing;

/// <summary>Why an image was refused before or while decoding.</summary>
public enum ImageRejectionReason
{
    /// <summary>The encoded bytes or the header's pixel count exceed the configured limits (decompression bombs).</summary>
    TooLarge = 1,

    /// <summary>Not JPEG, PNG, WebP or BMP.</summary>
    UnsupportedFormat = 2,

    /// <summary>A supported format whose content cannot be decoded.</summary>
    Corrupt = 3,
}
