using EdgeCloudVlm.Inference.Manifest;
using Microsoft.ML.OnnxRuntime;

namespace EdgeCloudVlm.Inference.Runtime;

/// <summary>The edge half of the vision tower: <c>pixel_values</c> [B,3,H,W] to the split hidden state [B,T,D].</summary>
public sealed class VisionEdgeSession : IDisposable
{
    private readonly OnnxSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;

    /// <summary>Wraps a created session after checking it against the manifest.</summary>
    /// <exception cref="ModelLoadException">The graph disagrees with the manifest.</exception>
    public VisionEdgeSession(ModelManifest manifest, OnnxSession session)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(session);
        ModelPart part = manifest.GetPart(ModelPartNames.VisionEdge);
        PartSignature.Validate(part, session);
        _session = session;
        _inputNames = [part.Inputs[0].Name];
        _outputNames = [part.Outputs[0].Name];
        ImageSize = manifest.Image.Size;
        Tokens = manifest.Vision.Tokens;
        HiddenDim = manifest.Vision.HiddenDim;
    }

    /// <summary>The underlying session.</summary>
    public OnnxSession Session => _session;

    /// <summary>Image side in pixels.</summary>
    public int ImageSize { get; }

    /// <summary>Hidden-state tokens per image.</summary>
    public int Tokens { get; }

    /// <summary>Hidden-state width.</summary>
    public int HiddenDim { get; }

    /// <summary>Floats per image in <c>pixel_values</c>.</summary>
    public int PixelLength => 3 * ImageSize * ImageSize;

    /// <summary>Floats per image in the hidden state.</summary>
    public int HiddenStateLength => Tokens * HiddenDim;

    /// <summary>Runs <paramref name="batch"/> images; writes the hidden states into <paramref name="hiddenState"/>.</summary>
    public void Run(ReadOnlyMemory<float> pixelValues, int batch, Memory<float> hiddenState, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        using OrtValue input = OrtTensors.CreateInput(pixelValues, batch, 3, ImageSize, ImageSize);
        using OrtValue output = OrtTensors.Create(hiddenState, batch, Tokens, HiddenDim);
        _session.Run(_inputNames, [input], _outputNames, [output], cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose() => _session.Dispose();
}
