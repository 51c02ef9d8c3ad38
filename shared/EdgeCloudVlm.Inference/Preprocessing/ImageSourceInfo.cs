namespace EdgeCloudVlm.Inference.Preprocessing;

/// <summary>What the header of an accepted image said.</summary>
/// <param name="Width">Stored width in pixels (before EXIF orientation).</param>
/// <param name="Height">Stored height in pixels (before EXIF orientation).</param>
/// <param name="Format">Format name, e.g. <c>PNG</c>.</param>
public readonly record struct ImageSourceInfo(int Width, int Height, string Format);
