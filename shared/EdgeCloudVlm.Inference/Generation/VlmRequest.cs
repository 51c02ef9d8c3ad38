namespace EdgeCloudVlm.Inference.Generation;

/// <summary>Where a request enters the pipeline.</summary>
public enum VlmImageSource
{
    /// <summary>Encoded image bytes: preprocessing, vision edge and vision cloud run.</summary>
    EncodedImage = 0,

    /// <summary>Preprocessed <c>pixel_values</c> [3,H,W]: vision edge and cloud run.</summary>
    PixelValues = 1,

    /// <summary>The split hidden state [T,D] (e.g. a decoded codec frame): only vision cloud runs.</summary>
    HiddenState = 2,

    /// <summary>Image embeddings [T,E]: no vision part runs.</summary>
    ImageEmbeddings = 3,
}

/// <summary>A question about one image, entering the pipeline at the stage <see cref="Source"/> names.</summary>
public sealed class VlmRequest
{
    private VlmRequest(string question, VlmImageSource source, ReadOnlyMemory<byte> encoded, ReadOnlyMemory<float> tensor)
    {
        ArgumentNullException.ThrowIfNull(question);
        Question = question;
        Source = source;
        EncodedImage = encoded;
        Tensor = tensor;
    }

    /// <summary>The question text.</summary>
    public string Question { get; }

    /// <summary>The entry stage.</summary>
    public VlmImageSource Source { get; }

    /// <summary>Encoded image bytes for <see cref="VlmImageSource.EncodedImage"/>.</summary>
    public ReadOnlyMemory<byte> EncodedImage { get; }

    /// <summary>Pixel values, hidden state or image embeddings for the other sources (one image, row-major).</summary>
    public ReadOnlyMemory<float> Tensor { get; }

    /// <summary>A request with a JPEG, PNG, WebP or BMP image.</summary>
    public static VlmRequest FromEncodedImage(ReadOnlyMemory<byte> image, string question) =>
        new(question, VlmImageSource.EncodedImage, image, default);

    /// <summary>A request with preprocessed pixel values [3,H,W].</summary>
    public static VlmRequest FromPixelValues(ReadOnlyMemory<float> pixelValues, string question) =>
        new(question, VlmImageSource.PixelValues, default, pixelValues);

    /// <summary>A request with the split hidden state [T,D], for example reconstructed from a codec frame.</summary>
    public static VlmRequest FromHiddenState(ReadOnlyMemory<float> hiddenState, string question) =>
        new(question, VlmImageSource.HiddenState, default, hiddenState);

    /// <summary>A request with image embeddings [T,E] computed earlier (several questions about one image).</summary>
    public static VlmRequest FromImageEmbeddings(ReadOnlyMemory<float> imageEmbeddings, string question) =>
        new(question, VlmImageSource.ImageEmbeddings, default, imageEmbeddings);
}
