using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.Cloud.Codebooks;

/// <summary>Where codebooks come from besides the model folders' manifests (section <c>Codebooks</c>).</summary>
public sealed class CodebookRegistryOptions
{
    public const string SectionName = "Codebooks";

    /// <summary>A folder whose <c>*.avqcb</c> files are served too (for example codebooks retrained after the model
    /// shipped); relative to the content root. Optional.</summary>
    public string? Folder { get; set; }

    /// <summary>Largest chunk of a codebook download, in bytes; a client's smaller hint is honoured.</summary>
    [System.ComponentModel.DataAnnotations.Range(1024, 16 * 1024 * 1024)]
    public int MaxChunkBytes { get; set; } = 256 * 1024;
}

internal sealed class CodebookRegistryOptionsSetup(IHostEnvironment environment) : IPostConfigureOptions<CodebookRegistryOptions>
{
    public void PostConfigure(string? name, CodebookRegistryOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.Folder))
        {
            options.Folder = Path.GetFullPath(options.Folder, environment.ContentRootPath);
        }
    }
}

internal sealed class CodebookRegistryOptionsValidator : IValidateOptions<CodebookRegistryOptions>
{
    public ValidateOptionsResult Validate(string? name, CodebookRegistryOptions options) =>
        string.IsNullOrWhiteSpace(options.Folder) || Directory.Exists(options.Folder)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"{CodebookRegistryOptions.SectionName}:Folder '{options.Folder}' does not exist");
}
