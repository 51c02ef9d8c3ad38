using EdgeCloudVlm.Codec;
using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Inference;
using EdgeCloudVlm.Inference.Evaluation;
using EdgeCloudVlm.Inference.Runtime;

namespace EdgeCloudVlm.Benchmarks.Reliability;

/// <summary>An evaluation item with its image and the codec frame the edge would send for it.</summary>
internal sealed record DemoItem(string ImagePath, byte[] Image, string Question, string Answer, byte[] Frame);

/// <summary>
/// Real inputs for the load and bad-input parts: evaluation images of the demo model, their questions, and AlignedVQ
/// frames made in process the way the edge makes them (vision head on CPU, then the model's codebook).
/// </summary>
internal sealed class DemoFrames
{
    private DemoFrames(string modelId, string codebookId, int tokens, int dim, IReadOnlyList<DemoItem> items, Codebook codebook)
    {
        ModelId = modelId;
        CodebookId = codebookId;
        Tokens = tokens;
        Dim = dim;
        Items = items;
        Codebook = codebook;
    }

    public string ModelId { get; }

    public string CodebookId { get; }

    public int Tokens { get; }

    public int Dim { get; }

    public IReadOnlyList<DemoItem> Items { get; }

    public Codebook Codebook { get; }

    public static DemoFrames Load(int count)
    {
        string folder = RepositoryLayout.DemoModel;
        using VlmModel model = VlmModel.Load(folder, new VlmModelOptions
        {
            Session = new OnnxSessionOptions { Provider = ExecutionProvider.Cpu, IntraOpThreads = 1 },
        });
        string codebookPath = model.Manifest.Codebooks.Count > 0
            ? model.Manifest.ResolvePath(model.Manifest.Codebooks[0].File)
            : Directory.GetFiles(Path.Combine(folder, "codebooks"), "*" + CodebookFile.Extension).Order(StringComparer.Ordinal).First();
        Codebook codebook = CodebookFile.Load(codebookPath);
        var codec = new AlignedVqCodec(codebook);
        int tokens = model.Manifest.Vision.Tokens;
        int dim = model.Manifest.Vision.HiddenDim;
        EvalSet eval = EvalSet.Load(folder);
        var items = new List<DemoItem>();
        var pixels = new float[model.Preprocessor.TensorLength];
        var hidden = new float[tokens * dim];
        var buffer = new byte[codec.GetMaxFrameLength(tokens, dim)];
        foreach (EvalItem item in eval.Items.Take(count))
        {
            string path = eval.ImagePath(item);
            byte[] image = File.ReadAllBytes(path);
            model.Preprocessor.Preprocess(image, pixels);
            model.VisionEdge.Run(pixels, 1, hidden);
            int length = codec.Encode(hidden, tokens, dim, buffer);
            items.Add(new DemoItem(path, image, item.Question, item.Answer, buffer[..length]));
        }

        return new DemoFrames(model.Manifest.Name, codebook.Id.ToString(), tokens, dim, items, codebook);
    }
}
