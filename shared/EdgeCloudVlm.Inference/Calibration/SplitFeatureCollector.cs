namespace EdgeCloudVlm.Inference.Calibration;

/// <summary>
/// Runs the edge part of a model over images and gathers the split tensor of each, row-major
/// [images x tokens, dimension]: the calibration data codebooks are trained on.
/// </summary>
public static class SplitFeatureCollector
{
    /// <summary>Image file extensions the collector picks up from a folder.</summary>
    public static readonly IReadOnlySet<string> ImageExtensions =
        new HashSet<string>(StringComparer.OrdinalIgnoreCase) { ".png", ".jpg", ".jpeg", ".webp", ".bmp" };

    /// <summary>Images in a folder (not recursive), sorted by name so runs are reproducible.</summary>
    public static IReadOnlyList<string> FindImages(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Calibration image folder '{folder}' does not exist.");
        }

        var files = Directory.EnumerateFiles(folder)
            .Where(path => ImageExtensions.Contains(Path.GetExtension(path)))
            .Order(StringComparer.Ordinal)
            .ToList();
        return files.Count > 0 ? files : throw new FileNotFoundException($"No images in '{folder}'.");
    }

    /// <summary>Collects the split tensor for every image; reports the number of images done.</summary>
    public static float[] Collect(VlmModel model, IReadOnlyList<string> imagePaths, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(imagePaths);
        var image = model.Manifest.Image;
        var vision = model.Manifest.Vision;
        var pixels = new float[3 * image.Size * image.Size];
        var frame = vision.Tokens * vision.HiddenDim;
        var features = new float[imagePaths.Count * frame];
        for (var i = 0; i < imagePaths.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            model.Preprocessor.Preprocess(File.ReadAllBytes(imagePaths[i]), pixels);
            model.VisionEdge.Run(pixels, 1, features.AsMemory(i * frame, frame), cancellationToken);
            progress?.Report(i + 1);
        }

        return features;
    }
}
