using System.Security.Cryptography;
using EdgeCloudVlm.Inference.Generation;

namespace EdgeCloudVlm.Cloud.Engine;

/// <summary>
/// The image of a request and its content key. Requests whose images have the same key share image embeddings and the
/// KV cache of the image prefix, so the key must identify the content the cloud computes from: the encoded image bytes,
/// or the codec frame the hidden state was decoded from.
/// </summary>
public sealed class EngineImage
{
    private EngineImage(VlmImageSource source, ReadOnlyMemory<byte> encoded, ReadOnlyMemory<float> tensor, byte[] key)
    {
        Source = source;
        EncodedImage = encoded;
        Tensor = tensor;
        ContentKey = key;
    }

    /// <summary>The stage the image enters at.</summary>
    public VlmImageSource Source { get; }

    /// <summary>Encoded image bytes (JPEG, PNG, WebP, BMP) when <see cref="Source"/> is an encoded image.</summary>
    public ReadOnlyMemory<byte> EncodedImage { get; }

    /// <summary>The split hidden state [T,D] when <see cref="Source"/> is a hidden state.</summary>
    public ReadOnlyMemory<float> Tensor { get; }

    /// <summary>SHA-256 of the content the image was made from (32 bytes).</summary>
    public ReadOnlyMemory<byte> ContentKey { get; }

    /// <summary>An encoded image; its key is the SHA-256 of the bytes.</summary>
    public static EngineImage FromEncoded(ReadOnlyMemory<byte> image) =>
        new(VlmImageSource.EncodedImage, image, default, SHA256.HashData(image.Span));

    /// <summary>A hidden state decoded from a codec frame; its key is the SHA-256 of the frame bytes.</summary>
    public static EngineImage FromHiddenState(ReadOnlyMemory<float> hiddenState, ReadOnlySpan<byte> frame) =>
        new(VlmImageSource.HiddenState, default, hiddenState, SHA256.HashData(frame));

    /// <summary>The pipeline request for this image and <paramref name="question"/>.</summary>
    public VlmRequest ToRequest(string question) => Source switch
    {
        VlmImageSource.EncodedImage => VlmRequest.FromEncodedImage(EncodedImage, question),
        VlmImageSource.HiddenState => VlmRequest.FromHiddenState(Tensor, question),
        _ => throw new InvalidOperationException($"unsupported image source {Source}"),
    };
}
