using EdgeCloudVlm.Inference.Manifest;
using Microsoft.ML.OnnxRuntime;

namespace EdgeCloudVlm.Inference.Runtime;

/// <summary>The cloud half of the vision tower: hidden state [B,T,D] to image embeddings [B,T,E] in the decoder's space.</summary>
public sealed class VisionCloudSession : IDisposable
{
    private readonly OnnxSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;

    /// <summary>Wraps a created session after checking it against the manifest.</summary>
    /// <exception cref="ModelLoadException">The graph disagrees with the manifest.</exception>
    public VisionCloudSession(ModelManifest manifest, OnnxSession session)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(session);
        ModelPart part = manifest.GetPart(ModelPartNames.VisionCloud);
        PartSignature.Validate(part, session);
        _session = session;
        _inputNames = [part.Inputs[0].Name];
        _outputNames = [part.Outputs[0].Name];
        Tokens = manifest.Vision.Tokens;
        HiddenDim = manifest.Vision.HiddenDim;
        EmbeddingDim = manifest.LanguageModel.HiddenSize;
    }

    /// <summary>The underlying session.</summary>
    public OnnxSession Session => _session;

    /// <summary>Tokens per image.</summary>
    public int Tokens { get; }

    /// <summary>Hidden-state width.</summary>
    public int HiddenDim { get; }

    /// <summary>Image-embedding width (the decoder's hidden size).</summary>
    public int EmbeddingDim { get; }

    /// <summary>Floats per image in the hidden state.</summary>
    public int HiddenStateLength => Tokens * HiddenDim;

    /// <summary>Floats per image in the image embeddings.</summary>
    public int EmbeddingsLength => Tokens * EmbeddingDim;

    /// <summary>Runs <paramref name="batch"/> hidden states; writes the image embeddings into <paramref name="imageEmbeddings"/>.</summary>
    public void Run(ReadOnlyMemory<float> hiddenState, int batch, Memory<float> imageEmbeddings, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        using OrtValue input = OrtTensors.CreateInput(hiddenState, batch, Tokens, HiddenDim);
        using OrtValue output = OrtTensors.Create(imageEmbeddings, batch, Tokens, EmbeddingDim);
        _session.Run(_inputNames, [input], _outputNames, [output], cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();
}
