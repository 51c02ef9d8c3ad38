using EdgeCloudVlm.Cloud.Engine;
using EdgeCloudVlm.Inference;

namespace EdgeCloudVlm.Cloud.Models;

/// <summary>A loaded model and the engine that runs it.</summary>
internal sealed class ServedModel(string id, VlmModel model, IGenerationEngine engine, DateTimeOffset loadedAt)
{
    /// <summary>The id clients name (the manifest's name).</summary>
    public string Id { get; } = id;

    public VlmModel Model { get; } = model;

    public IGenerationEngine Engine { get; } = engine;

    public DateTimeOffset LoadedAt { get; } = loadedAt;

    /// <summary>Tokens of the split tensor (rows of a frame).</summary>
    public int SplitTokens => Model.Manifest.Vision.Tokens;

    /// <summary>Width of the split tensor (columns of a frame).</summary>
    public int SplitDim => Model.Manifest.Vision.HiddenDim;
}
