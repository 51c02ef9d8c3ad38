namespace EdgeCloudVlm.Inference.Preprocessing;

/// <summary>Limits applied before an image is decoded.</summary>
public sealed record ImagePreprocessorOptions
{
    /// <summary>Largest width x height accepted, read from the header before decoding (default 40 megapixels).</summary>
    public long MaxPixels { get; init; } = 40_000_000;

    /// <summary>Largest encoded size accepted in bytes (default 32 MiB).</summary>
    public int MaxEncodedBytes { get; init; } = 32 * 1024 * 1024;
}
