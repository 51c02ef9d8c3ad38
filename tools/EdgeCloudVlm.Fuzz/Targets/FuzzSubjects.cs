using EdgeCloudVlm.Codec;
using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Inference.Manifest;
using EdgeCloudVlm.Inference.Preprocessing;

namespace EdgeCloudVlm.Fuzz.Targets;

/// <summary>
/// What the targets parse against: the demo model's codebook and image settings, plus two tiny codebooks trained
/// here (one AlignedVQ with a projection, residual stages and entropy tables; one plain VQ), so that structured
/// inputs are small and fast to mutate. Built once per process; read-only afterwards.
/// </summary>
public sealed class FuzzSubjects
{
    /// <summary>Pixel limit of the image target: low enough that generated headers cross it often.</summary>
    public const long MaxPixels = 4_000_000;

    private FuzzSubjects(string modelFolder, IReadOnlyList<Codebook> codebooks, ImagePreprocessor preprocessor, IReadOnlyList<byte[]> images)
    {
        ModelFolder = modelFolder;
        Codebooks = codebooks;
        Codecs = [.. codebooks.Select(c => new AlignedVqCodec(c))];
        Preprocessor = preprocessor;
        SeedImages = images;
    }

    /// <summary>The model folder the subjects came from.</summary>
    public string ModelFolder { get; }

    /// <summary>The demo model's codebook first, then the tiny trained ones.</summary>
    public IReadOnlyList<Codebook> Codebooks { get; }

    /// <summary>One codec per codebook.</summary>
    public IReadOnlyList<AlignedVqCodec> Codecs { get; }

    /// <summary>The demo model's preprocessor with <see cref="MaxPixels"/>.</summary>
    public ImagePreprocessor Preprocessor { get; }

    /// <summary>A few of the demo model's evaluation images (PNG).</summary>
    public IReadOnlyList<byte[]> SeedImages { get; }

    /// <summary>Loads the subjects from a model folder (<c>models/shapes-vqa</c> by default, found above the current
    /// directory or the program).</summary>
    public static FuzzSubjects Load(string? modelFolder = null)
    {
        string folder = modelFolder ?? FindDemoModel();
        ModelManifest manifest = ModelManifest.Parse(File.ReadAllText(Path.Combine(folder, "model.json")), folder);
        var codebooks = new List<Codebook> { CodebookFile.Load(DemoCodebookPath(manifest, folder)) };
        codebooks.Add(Train(new AlignedVqConfig { MeanLevels = 4, RmsLevels = 8, ProjectionDimension = 6, Groups = 2, Stages = 2, CodebookSize = 16 }, 8));
        codebooks.Add(Train(new AlignedVqConfig { NormalizeTokens = false, Center = false, Groups = 1, Stages = 1, CodebookSize = 8 }, 4));
        var preprocessor = new ImagePreprocessor(manifest.Image, new ImagePreprocessorOptions { MaxPixels = MaxPixels, MaxEncodedBytes = 1 << 20 });
        string images = Path.Combine(folder, "eval", "images");
        List<byte[]> seeds = [.. Directory.GetFiles(images, "*.png").Order(StringComparer.Ordinal).Take(3).Select(File.ReadAllBytes)];
        return new FuzzSubjects(folder, codebooks, preprocessor, seeds);
    }

    private static string DemoCodebookPath(ModelManifest manifest, string folder)
    {
        if (manifest.Codebooks.Count > 0)
        {
            return manifest.ResolvePath(manifest.Codebooks[0].File);
        }

        // While a retrained model waits for its codebook to be registered, the file is already in codebooks/.
        return Directory.GetFiles(Path.Combine(folder, "codebooks"), "*" + CodebookFile.Extension).Order(StringComparer.Ordinal).First();
    }

    private static Codebook Train(AlignedVqConfig config, int dimension)
    {
        var random = new Random(dimension);
        var features = new float[256 * dimension];
        for (int i = 0; i < features.Length; i++)
        {
            // A few loud channels, as real residual streams have.
            features[i] = (float)((random.NextDouble() - 0.5) * ((i % dimension) == 0 ? 40 : 2));
        }

        return CodebookTrainer.Train(features, dimension, config, new CodebookTrainingOptions
        {
            ModelId = "fuzz",
            SplitName = "fuzz.split",
            Iterations = 4,
            MaxDegreeOfParallelism = 1,
        });
    }

    private static string FindDemoModel()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "models", "shapes-vqa");
                if (File.Exists(Path.Combine(candidate, "model.json")))
                {
                    return candidate;
                }
            }
        }

        throw new DirectoryNotFoundException("models/shapes-vqa not found above the working directory; pass --model <folder>");
    }
}
