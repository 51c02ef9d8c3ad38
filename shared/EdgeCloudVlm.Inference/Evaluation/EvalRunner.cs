using EdgeCloudVlm.Inference.Generation;

namespace EdgeCloudVlm.Inference.Evaluation;

/// <summary>
/// Greedy exact-match evaluation: each image goes through preprocessing and the vision edge once, the hidden state
/// through an optional <see cref="HiddenStateTransform"/> (e.g. codec round trip) and the vision cloud, then every
/// question about it is answered from the shared image embeddings.
/// </summary>
public sealed class EvalRunner
{
    private const int MaxMisses = 25;
    private readonly VlmPipeline _pipeline;

    /// <summary>Creates the runner over a model with all four parts loaded.</summary>
    public EvalRunner(VlmModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _pipeline = new VlmPipeline(model);
    }

    /// <summary>Answers every question of <paramref name="set"/> greedily and scores exact matches.</summary>
    public EvalReport Run(EvalSet set, HiddenStateTransform? transform = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(set);
        VlmModel model = _pipeline.Model;
        int hiddenLength = model.VisionEdge.HiddenStateLength;
        int tokens = model.VisionEdge.Tokens;
        int dim = model.VisionEdge.HiddenDim;
        var pixels = new float[model.Preprocessor.TensorLength];
        var hidden = new float[hiddenLength];
        var transformed = new float[hiddenLength];
        var embeddings = new float[model.VisionCloud.EmbeddingsLength];
        var perTemplate = new Dictionary<string, (int Correct, int Total)>(StringComparer.Ordinal);
        var misses = new List<EvalMiss>();
        var options = new GenerationOptions();
        int correct = 0;
        string? currentImage = null;
        foreach (EvalItem item in set.Items)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (item.Image != currentImage)
            {
                model.Preprocessor.Preprocess(File.ReadAllBytes(set.ImagePath(item)), pixels);
                model.VisionEdge.Run(pixels, 1, hidden, cancellationToken);
                float[] state = hidden;
                if (transform is not null)
                {
                    transform(hidden, tokens, dim, transformed);
                    state = transformed;
                }

                model.VisionCloud.Run(state, 1, embeddings, cancellationToken);
                currentImage = item.Image;
            }

            GenerationResult result = _pipeline.Generate(
                VlmRequest.FromImageEmbeddings(embeddings, item.Question), options, cancellationToken);
            if (result.FinishReason == FinishReason.Cancelled)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            bool ok = string.Equals(result.Text, item.Answer, StringComparison.Ordinal);
            correct += ok ? 1 : 0;
            (int c, int t) = perTemplate.GetValueOrDefault(item.Template);
            perTemplate[item.Template] = (c + (ok ? 1 : 0), t + 1);
            if (!ok && misses.Count < MaxMisses)
            {
                misses.Add(new EvalMiss(item, result.Text));
            }
        }

        var templates = new Dictionary<string, TemplateAccuracy>(StringComparer.Ordinal);
        foreach ((string name, (int c, int t)) in perTemplate)
        {
            templates[name] = new TemplateAccuracy(c, t);
        }

        return new EvalReport { Correct = correct, Total = set.Items.Count, PerTemplate = templates, Misses = misses };
    }
}
