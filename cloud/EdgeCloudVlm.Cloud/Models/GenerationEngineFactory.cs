using EdgeCloudVlm.Cloud.Engine;
using EdgeCloudVlm.Inference;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.Cloud.Models;

/// <summary>Creates a continuous-batching <see cref="GenerationEngine"/> per model with the <c>Engine</c> options.</summary>
internal sealed class GenerationEngineFactory(IOptions<EngineOptions> options, TimeProvider timeProvider, ILogger<GenerationEngine> logger)
    : IGenerationEngineFactory
{
    public IGenerationEngine Create(string modelId, VlmModel model) =>
        new GenerationEngine(modelId, model, options.Value, timeProvider, logger);
}
