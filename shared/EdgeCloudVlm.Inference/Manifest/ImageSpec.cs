namespace EdgeCloudVlm.Inference.Manifest;

/// <summary>How an image becomes <c>pixel_values</c> (the <c>image</c> section of <c>model.json</c>).</summary>
public sealed record ImageSpec
{
    /// <summary>Side of the square model input in pixels.</summary>
    public int Size { get; init; }

    /// <summary>Resize rule as text; its first word names the filter (<c>bilinear</c>, <c>bicubic</c>, <c>nearest</c>).
    /// The image is stretched to <see cref="Size"/> x <see cref="Size"/> when it differs.</summary>
    public string Resize { get; init; } = "bilinear";

    /// <summary>Optional crop: <see langword="null"/> or <c>none</c> (stretch), or <c>center</c> (scale the shorter side
    /// to <see cref="Size"/>, then cut the centre square, as CLIP preprocessing does).</summary>
    public string? Crop { get; init; }

    /// <summary><c>RGB</c> or <c>BGR</c>.</summary>
    public string ChannelOrder { get; init; } = "RGB";

    /// <summary>Tensor layout; only <c>NCHW</c> is supported.</summary>
    public string Layout { get; init; } = "NCHW";

    /// <summary>Multiplier applied to the 0..255 pixel value before normalization.</summary>
    public double ValueScale { get; init; } = 1.0 / 255.0;

    /// <summary>Per-channel mean subtracted after scaling (in <see cref="ChannelOrder"/>).</summary>
    public IReadOnlyList<float> Mean { get; init; } = [];

    /// <summary>Per-channel standard deviation divided by after the mean.</summary>
    public IReadOnlyList<float> Std { get; init; } = [];

    /// <summary>Human-readable formula, informational.</summary>
    public string? Formula { get; init; }
}
