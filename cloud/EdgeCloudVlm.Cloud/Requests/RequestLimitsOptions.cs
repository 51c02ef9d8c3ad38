using System.ComponentModel.DataAnnotations;

namespace EdgeCloudVlm.Cloud.Requests;

/// <summary>Size and count limits every front end applies before a request reaches an engine (section
/// <c>Limits</c>). Each has its own error so a client can tell which one it hit.</summary>
public sealed class RequestLimitsOptions
{
    public const string SectionName = "Limits";

    /// <summary>Largest ingest payload in bytes (codec frame or fallback JPEG), as announced in <c>HelloAck</c>. Codec
    /// frames are tiny (about 1 KB for a 577 x 1024 LLaVA split); the default leaves room for the fp16 baseline and
    /// for fallback JPEGs.</summary>
    [Range(64, 256 * 1024 * 1024)]
    public int MaxFrameBytes { get; set; } = 2 * 1024 * 1024;

    /// <summary>Largest encoded image in bytes (REST data URLs after base64 decoding, gRPC images, fallback JPEGs).</summary>
    [Range(1024, 256 * 1024 * 1024)]
    public int MaxImageBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Largest width x height of an image, read from its header before it is decoded.</summary>
    [Range(1, 1_000_000_000)]
    public long MaxImagePixels { get; set; } = 40_000_000;

    /// <summary>Largest prompt in text tokens after the chat template is applied (image tokens excluded).</summary>
    [Range(1, 1_000_000)]
    public int MaxPromptTokens { get; set; } = 256;

    /// <summary>Largest <c>max_tokens</c> a request may ask for.</summary>
    [Range(1, 1_000_000)]
    public int MaxOutputTokens { get; set; } = 256;

    /// <summary>Largest number of stop sequences, and of characters in each.</summary>
    [Range(0, 64)]
    public int MaxStopSequences { get; set; } = 4;
}
