using System.ComponentModel.DataAnnotations;
using EdgeCloudVlm.Inference.Manifest;
using EdgeCloudVlm.Inference.Runtime;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.Cloud.Models;

/// <summary>Which model folders the service loads and how their ONNX sessions run (section <c>Models</c>).</summary>
public sealed class ModelCatalogOptions
{
    public const string SectionName = "Models";

    /// <summary>Model folders (each with a <c>model.json</c>); relative paths resolve against the content root. When
    /// empty, the repository's demo model (<c>models/shapes-vqa</c>) is searched upward from the content root and the
    /// application folder, so <c>dotnet run</c> works with no setup.</summary>
    public List<string> Folders { get; set; } = [];

    /// <summary>ONNX Runtime execution provider: <c>Auto</c> (CUDA when it loads, else CPU), <c>Cpu</c>, <c>Cuda</c>,
    /// <c>TensorRt</c>.</summary>
    public ExecutionProvider ExecutionProvider { get; set; } = ExecutionProvider.Auto;

    /// <summary>GPU ordinal for CUDA and TensorRT.</summary>
    [Range(0, 1024)]
    public int DeviceId { get; set; }

    /// <summary>Threads inside one ONNX operator; 0 lets ONNX Runtime choose (one per core). One by default: the
    /// engine's image workers, prefill workers and decode loop call the model side by side, and per-call thread pools
    /// on a CPU host spin against each other (the throughput benchmark: about half the tokens/s with 16 clients).</summary>
    [Range(0, 4096)]
    public int IntraOpThreads { get; set; } = 1;

    /// <summary>Threads across independent operators; 0 lets ONNX Runtime choose.</summary>
    [Range(0, 4096)]
    public int InterOpThreads { get; set; }
}

/// <summary>Resolves relative folders and fills in the demo model when none is configured.</summary>
internal sealed class ModelCatalogOptionsSetup(IHostEnvironment environment) : IPostConfigureOptions<ModelCatalogOptions>
{
    public void PostConfigure(string? name, ModelCatalogOptions options)
    {
        for (int i = 0; i < options.Folders.Count; i++)
        {
            if (!string.IsNullOrWhiteSpace(options.Folders[i]))
            {
                options.Folders[i] = Path.GetFullPath(options.Folders[i], environment.ContentRootPath);
            }
        }

        if (options.Folders.Count == 0 && DemoModelLocator.Find(environment.ContentRootPath, AppContext.BaseDirectory) is { } demo)
        {
            options.Folders.Add(demo);
        }
    }
}

/// <summary>Fails start-up with a clear message when a configured folder is not a model folder.</summary>
internal sealed class ModelCatalogOptionsValidator : IValidateOptions<ModelCatalogOptions>
{
    public ValidateOptionsResult Validate(string? name, ModelCatalogOptions options)
    {
        if (options.Folders.Count == 0)
        {
            return ValidateOptionsResult.Fail(
                $"no model configured: set {ModelCatalogOptions.SectionName}:Folders (the demo model {DemoModelLocator.RelativePath} was not found above the content root)");
        }

        var failures = new List<string>();
        for (int i = 0; i < options.Folders.Count; i++)
        {
            string folder = options.Folders[i];
            if (string.IsNullOrWhiteSpace(folder) || !File.Exists(Path.Combine(folder, ModelManifest.FileName)))
            {
                failures.Add($"{ModelCatalogOptions.SectionName}:Folders:{i} = '{folder}' has no {ModelManifest.FileName}");
            }
        }

        if (!Enum.IsDefined(options.ExecutionProvider))
        {
            failures.Add($"{ModelCatalogOptions.SectionName}:ExecutionProvider '{options.ExecutionProvider}' is not auto, cpu, cuda or tensorrt");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
