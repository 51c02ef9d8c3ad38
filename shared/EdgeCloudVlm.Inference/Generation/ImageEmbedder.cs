using System.Buffers;

namespace EdgeCloudVlm.Inference.Generation;

/// <summary>Runs the vision stages a request still needs to reach image embeddings.</summary>
internal static class ImageEmbedder
{
    public static void Compute(VlmModel model, VlmRequest request, Memory<float> embeddings, CancellationToken cancellationToken)
    {
        switch (request.Source)
        {
            case VlmImageSource.ImageEmbeddings:
                Expect(request.Tensor.Length, embeddings.Length, "image embeddings");
                request.Tensor.CopyTo(embeddings);
                return;
            case VlmImageSource.HiddenState:
                Expect(request.Tensor.Length, model.VisionCloud.HiddenStateLength, "hidden state");
                model.VisionCloud.Run(request.Tensor, 1, embeddings, cancellationToken);
                return;
            case VlmImageSource.PixelValues:
                Expect(request.Tensor.Length, model.VisionEdge.PixelLength, "pixel values");
                FromPixels(model, request.Tensor, embeddings, cancellationToken);
                return;
            default:
                float[] pixels = ArrayPool<float>.Shared.Rent(model.Preprocessor.TensorLength);
                try
                {
                    model.Preprocessor.Preprocess(request.EncodedImage.Span, pixels);
                    FromPixels(model, pixels.AsMemory(0, model.Preprocessor.TensorLength), embeddings, cancellationToken);
                }
                finally
                {
                    ArrayPool<float>.Shared.Return(pixels);
                }

                return;
        }
    }

    /// <summary>Edge then cloud, with a pooled hidden state in between.</summary>
    public static void FromPixels(VlmModel model, ReadOnlyMemory<float> pixels, Memory<float> embeddings, CancellationToken cancellationToken)
    {
        int length = model.VisionEdge.HiddenStateLength;
        float[] hidden = ArrayPool<float>.Shared.Rent(length);
        try
        {
            model.VisionEdge.Run(pixels, 1, hidden.AsMemory(0, length), cancellationToken);
            model.VisionCloud.Run(hidden.AsMemory(0, length), 1, embeddings, cancellationToken);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(hidden);
        }
    }

    private static void Expect(int actual, int expected, string what)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"{what} hold {actual} floats, the model needs {expected}");
        }
    }
}
