using System.Diagnostics;
using EdgeCloudVlm.Codec;
using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Inference;
using EdgeCloudVlm.Inference.Manifest;
using EdgeCloudVlm.Inference.Runtime;
using CodebookIdentity = EdgeCloudVlm.Codec.Codebooks.CodebookId;

namespace EdgeCloudVlm.Benchmarks.EndToEnd;

/// <summary>
/// The device half of the split path, with the calls the edge agent makes: decode and preprocess (the shared
/// <c>ImagePreprocessor</c>: header limits, EXIF orientation, resize, normalize), <c>vision_edge.onnx</c> on CPU with one
/// thread (the agent's default), AlignedVQ encode (rANS when smaller) with the first codebook model.json lists,
/// verified against its id on load.
/// </summary>
internal sealed class SplitEdge : IDisposable
{
    private readonly VlmModel _model;
    private readonly AlignedVqCodec _codec;
    private readonly float[] _pixels;
    private readonly float[] _hidden;
    private readonly byte[] _output;

    private SplitEdge(VlmModel model, AlignedVqCodec codec, string codebookId)
    {
        _model = model;
        _codec = codec;
        CodebookId = codebookId;
        _pixels = new float[model.Preprocessor.TensorLength];
        _hidden = new float[Tokens * HiddenDim];
        _output = new byte[codec.GetMaxFrameLength(Tokens, HiddenDim)];
    }

    public string ModelId => _model.Manifest.Name;

    public string CodebookId { get; }

    public int Tokens => _model.Manifest.Vision.Tokens;

    public int HiddenDim => _model.Manifest.Vision.HiddenDim;

    /// <summary>Bytes of the split tensor as uncompressed fp16.</summary>
    public long Fp16Bytes => 2L * Tokens * HiddenDim;

    public static SplitEdge Load(string modelFolder)
    {
        VlmModel model = VlmModel.Load(modelFolder, new VlmModelOptions
        {
            Parts = [ModelPartNames.VisionEdge],
            Session = new OnnxSessionOptions { Provider = ExecutionProvider.Cpu, IntraOpThreads = 1 },
        });
        try
        {
            if (model.Manifest.Codebooks.Count == 0)
            {
                throw new InvalidOperationException($"{modelFolder}/model.json lists no codebook; the split path needs one");
            }

            CodebookEntry entry = model.Manifest.Codebooks[0];
            CodebookIdentity? expected = CodebookIdentity.TryParse(entry.Id, out CodebookIdentity id) ? id : null;
            Codebook codebook = CodebookFile.Load(model.Manifest.ResolvePath(entry.File), expected);
            return new SplitEdge(model, new AlignedVqCodec(codebook, new AlignedVqCodecOptions { EntropyCoding = true }), codebook.Id.ToString());
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Encoded image to codec frame bytes, with the time of each stage.</summary>
    public (byte[] Frame, EdgeStages Stages) Encode(ReadOnlySpan<byte> image, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        _model.Preprocessor.Preprocess(image, _pixels);
        long preprocessed = Stopwatch.GetTimestamp();
        _model.VisionEdge.Run(_pixels, 1, _hidden, cancellationToken);
        long headed = Stopwatch.GetTimestamp();
        int length = _codec.Encode(_hidden, Tokens, HiddenDim, _output);
        long encoded = Stopwatch.GetTimestamp();
        var stages = new EdgeStages(
            Stopwatch.GetElapsedTime(start, preprocessed).TotalMilliseconds,
            Stopwatch.GetElapsedTime(preprocessed, headed).TotalMilliseconds,
            Stopwatch.GetElapsedTime(headed, encoded).TotalMilliseconds);
        return (_output.AsSpan(0, length).ToArray(), stages);
    }

    public void Dispose() => _model.Dispose();
}

/// <summary>Milliseconds of each edge stage of one split frame (decode is part of preprocess).</summary>
internal readonly record struct EdgeStages(double PreprocessMs, double VisionMs, double EncodeMs)
{
    public double TotalMs => PreprocessMs + VisionMs + EncodeMs;
}
