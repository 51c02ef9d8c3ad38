using EdgeCloudVlm.Cloud.Engine;
using EdgeCloudVlm.Inference;

namespace EdgeCloudVlm.Cloud.Models;

/// <summary>Creates the engine for a loaded model: the one place the service constructs engines.</summary>
internal interface IGenerationEngineFactory
{
    IGenerationEngine Create(string modelId, VlmModel model);
}
