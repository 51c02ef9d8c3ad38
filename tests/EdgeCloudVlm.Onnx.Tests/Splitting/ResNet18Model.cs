using EdgeCloudVlm.Onnx.Proto;

namespace EdgeCloudVlm.Onnx.Tests.Splitting;

/// <summary>
/// The pretrained ResNet18 that NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 ships; its build props copy
/// it to DnnImageModels/ResNet18Onnx/ under the test output folder.
/// </summary>
internal static class ResNet18Model
{
    public const string InputName = "Input247";
    public const string OutputName = "Pooling395_Output_0";

    /// <summary>The ReLU after the second residual stage (128 channels at 28x28): a clean cut.</summary>
    public const string SecondStageOutput = "ReLU315_Output_0";

    /// <summary>The ReLU inside the last block of the second stage; the block's skip connection also needs <see cref="SkipTensor"/>.</summary>
    public const string InsideBlock = "ReLU307_Output_0";

    /// <summary>The block input that the skip connection carries past <see cref="InsideBlock"/>.</summary>
    public const string SkipTensor = "ReLU301_Output_0";

    public static readonly long[] InputShape = [1, 3, 224, 224];

    private static readonly Lazy<ModelProto> Loaded = new(() => OnnxModelFile.Load(Path));

    public static string Path
    {
        get
        {
            string path = System.IO.Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");
            if (!File.Exists(path))
            {
                throw new FileNotFoundException(
                    "ResNet18.onnx was not copied to the test output; the package reference Microsoft.ML.DnnImageFeaturizer.ResNet18 provides it.", path);
            }

            return path;
        }
    }

    /// <summary>The parsed model, shared by all tests (the splitter does not modify its input).</summary>
    public static ModelProto Model => Loaded.Value;

    public static Dictionary<string, (float[] Values, long[] Shape)> Input(int seed) =>
        new(StringComparer.Ordinal) { [InputName] = (Support.Ort.RandomInput(3 * 224 * 224, seed), InputShape) };
}
