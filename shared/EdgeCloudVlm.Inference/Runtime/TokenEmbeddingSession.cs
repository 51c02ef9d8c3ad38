using EdgeCloudVlm.Inference.Manifest;
using Microsoft.ML.OnnxRuntime;

namespace EdgeCloudVlm.Inference.Runtime;

/// <summary>The decoder's embedding table as its own part: token ids [B,S] to embeddings [B,S,E].</summary>
public sealed class TokenEmbeddingSession : IDisposable
{
    private readonly OnnxSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;

    /// <summary>Wraps a created session after checking it against the manifest.</summary>
    /// <exception cref="ModelLoadException">The graph disagrees with the manifest.</exception>
    public TokenEmbeddingSession(ModelManifest manifest, OnnxSession session)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(session);
        ModelPart part = manifest.GetPart(ModelPartNames.EmbedTokens);
        PartSignature.Validate(part, session);
        _session = session;
        _inputNames = [part.Inputs[0].Name];
        _outputNames = [part.Outputs[0].Name];
        EmbeddingDim = manifest.LanguageModel.HiddenSize;
    }

    /// <summary>The underlying session.</summary>
    public OnnxSession Session => _session;

    /// <summary>Embedding width.</summary>
    public int EmbeddingDim { get; }

    /// <summary>Embeds <paramref name="batch"/> x <paramref name="sequence"/> ids into <paramref name="embeddings"/>.</summary>
    public void Run(ReadOnlyMemory<long> ids, int batch, int sequence, Memory<float> embeddings, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequence, 1);
        using OrtValue input = OrtTensors.CreateInput(ids, batch, sequence);
        using OrtValue output = OrtTensors.Create(embeddings, batch, sequence, EmbeddingDim);
        _session.Run(_inputNames, [input], _outputNames, [output], cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();
}
