using EdgeCloudVlm.Codec;
using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Codec.Frames;
using EdgeCloudVlm.Inference;
using EdgeCloudVlm.Inference.Evaluation;
using EdgeCloudVlm.Inference.Generation;
using EdgeCloudVlm.Inference.Manifest;
using EdgeCloudVlm.Inference.Runtime;

namespace EdgeCloudVlm.Cloud.Tests.Support;

/// <summary>
/// The demo model loaded on CPU in the test process, for reference answers: the split hidden state of an eval image
/// (vision edge), a codec frame made from it with the manifest's codebook, and the answer <see cref="VlmPipeline"/>
/// gives for the same hidden state. Shared by every test class through <see cref="CloudCollection"/>.
/// </summary>
public sealed class DemoModel : IDisposable
{
    private readonly VlmPipeline _pipeline;

    public DemoModel()
    {
        Folder = RepositoryLayout.DemoModel;
        Model = VlmModel.Load(Folder, new VlmModelOptions
        {
            Session = new OnnxSessionOptions { Provider = ExecutionProvider.Cpu, IntraOpThreads = 1 },
        });
        _pipeline = new VlmPipeline(Model);
        Eval = EvalSet.Load(Folder);
        CodebookEntry entry = Model.Manifest.Codebooks.Count > 0
            ? Model.Manifest.Codebooks[0]
            : throw new InvalidOperationException(
                $"{Folder}/model.json lists no codebook (the model may be being retrained); rerun when it is registered");
        Assert.True(CodebookId.TryParse(entry.Id, out CodebookId id));
        Codebook = CodebookFile.Load(Model.Manifest.ResolvePath(entry.File), id);
        CodebookPath = Model.Manifest.ResolvePath(entry.File);
        Codec = new AlignedVqCodec(Codebook);
    }

    public string Folder { get; }

    public VlmModel Model { get; }

    public string Id => Model.Manifest.Name;

    public EvalSet Eval { get; }

    public Codebook Codebook { get; }

    public string CodebookPath { get; }

    public AlignedVqCodec Codec { get; }

    public int Tokens => Model.Manifest.Vision.Tokens;

    public int Dim => Model.Manifest.Vision.HiddenDim;

    public byte[] ImageBytes(int item) => File.ReadAllBytes(Eval.ImagePath(Eval.Items[item]));

    public string Question(int item) => Eval.Items[item].Question;

    /// <summary>The split hidden state of an eval item's image, as the edge computes it.</summary>
    public float[] HiddenState(int item)
    {
        var pixels = new float[Model.Preprocessor.TensorLength];
        Model.Preprocessor.Preprocess(ImageBytes(item), pixels);
        var hidden = new float[Tokens * Dim];
        Model.VisionEdge.Run(pixels, 1, hidden);
        return hidden;
    }

    /// <summary>An AlignedVQ frame of an eval item's hidden state, encoded with the manifest's codebook.</summary>
    public byte[] Frame(int item)
    {
        float[] hidden = HiddenState(item);
        var buffer = new byte[Codec.GetMaxFrameLength(Tokens, Dim)];
        int length = Codec.Encode(hidden, Tokens, Dim, buffer);
        return buffer[..length];
    }

    /// <summary>The pipeline's greedy answer for the hidden state the cloud rebuilds from <paramref name="frame"/>.</summary>
    public string AnswerForFrame(byte[] frame, string question)
    {
        var reconstructed = new float[Tokens * Dim];
        Assert.Equal(FrameStatus.Ok, Codec.Decode(frame, reconstructed, out _));
        return _pipeline.Generate(VlmRequest.FromHiddenState(reconstructed, question)).Text;
    }

    /// <summary>The pipeline's greedy answer for an encoded image.</summary>
    public string AnswerForImage(byte[] image, string question) =>
        _pipeline.Generate(VlmRequest.FromEncodedImage(image, question)).Text;

    public void Dispose() => Model.Dispose();
}
