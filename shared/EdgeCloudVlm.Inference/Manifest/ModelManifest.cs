using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace EdgeCloudVlm.Inference.Manifest;

/// <summary>
/// The typed content of a model folder's <c>model.json</c>: its ONNX parts, image preprocessing, the vision split,
/// the decoder's dimensions, tokenizer, prompt template, generation defaults and codebooks.
/// </summary>
public sealed partial record ModelManifest
{
    /// <summary>The manifest's file name inside a model folder.</summary>
    public const string FileName = "model.json";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        NumberHandling = JsonNumberHandling.Strict,
    };

    /// <summary>Model name.</summary>
    public string Name { get; init; } = "";

    /// <summary>Model version.</summary>
    public string Version { get; init; } = "";

    /// <summary>Free text.</summary>
    public string? Description { get; init; }

    /// <summary>The ONNX parts by key (see <see cref="ModelPartNames"/>).</summary>
    public IReadOnlyDictionary<string, ModelPart> Parts { get; init; } = new Dictionary<string, ModelPart>();

    /// <summary>Image preprocessing.</summary>
    public ImageSpec Image { get; init; } = new();

    /// <summary>Vision tower and split.</summary>
    public VisionSpec Vision { get; init; } = new();

    /// <summary>Decoder dimensions.</summary>
    public LanguageModelSpec LanguageModel { get; init; } = new();

    /// <summary>Tokenizer files and options.</summary>
    public TokenizerSpec Tokenizer { get; init; } = new();

    /// <summary>Special token text to id.</summary>
    public IReadOnlyDictionary<string, int> SpecialTokens { get; init; } = new Dictionary<string, int>();

    /// <summary>Which special token plays which role.</summary>
    public SpecialTokenRoles SpecialTokenRoles { get; init; } = new();

    /// <summary>Prompt template.</summary>
    public PromptSpec Prompt { get; init; } = new();

    /// <summary>Generation defaults.</summary>
    public GenerationSpec Generation { get; init; } = new();

    /// <summary>Codebooks trained for this split (files relative to the folder, with their ids); may be empty.</summary>
    public IReadOnlyList<CodebookEntry> Codebooks { get; init; } = [];

    /// <summary>The folder the manifest was loaded from; relative file names resolve against it.</summary>
    [JsonIgnore]
    public string Folder { get; init; } = "";

    /// <summary>
    /// Reads and validates <c>model.json</c> in <paramref name="folder"/> and checks that the files of
    /// <paramref name="requiredParts"/> (all four parts when <see langword="null"/>), the vocabulary and the codebooks exist.
    /// </summary>
    /// <exception cref="ModelLoadException">The folder, a file or a section is missing or malformed; the message names the part.</exception>
    public static ModelManifest Load(string folder, IEnumerable<string>? requiredParts = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        string full = Path.GetFullPath(folder);
        if (!Directory.Exists(full))
        {
            throw new ModelLoadException($"model folder {full} not found");
        }

        string path = Path.Combine(full, FileName);
        if (!File.Exists(path))
        {
            throw new ModelLoadException($"{FileName} not found in {full}");
        }

        ModelManifest manifest = Parse(File.ReadAllText(path), full);
        foreach (string name in requiredParts ?? ModelPartNames.All)
        {
            ModelPart part = manifest.GetPart(name);
            if (!File.Exists(manifest.ResolvePath(part.File)))
            {
                throw new ModelLoadException($"part '{name}' file {part.File} not found in {full}", name);
            }
        }

        if (!File.Exists(manifest.ResolvePath(manifest.Tokenizer.File)))
        {
            throw new ModelLoadException($"tokenizer file {manifest.Tokenizer.File} not found in {full}");
        }

        foreach (CodebookEntry codebook in manifest.Codebooks)
        {
            if (string.IsNullOrWhiteSpace(codebook.File) || !File.Exists(manifest.ResolvePath(codebook.File)))
            {
                throw new ModelLoadException($"codebook file {codebook.File} not found in {full}");
            }
        }

        return manifest;
    }

    /// <summary>Parses and validates manifest text; files are not checked.</summary>
    /// <exception cref="ModelLoadException">The JSON is malformed or a section is inconsistent.</exception>
    public static ModelManifest Parse(string json, string folder)
    {
        ArgumentNullException.ThrowIfNull(json);
        ModelManifest? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize<ModelManifest>(json, JsonOptions);
        }
        catch (JsonException ex)
        {
            string? part = PartFromJsonPath(ex.Path);
            string where = part is null ? $"at {ex.Path ?? "?"}" : $"part '{part}' is malformed at {ex.Path}";
            throw new ModelLoadException($"{FileName} in {folder}: {where}: {ex.Message}", part, ex);
        }

        if (parsed is null)
        {
            throw new ModelLoadException($"{FileName} in {folder} is empty (null)");
        }

        var parts = new Dictionary<string, ModelPart>(StringComparer.Ordinal);
        if (parsed.Parts is not null)
        {
            foreach ((string key, ModelPart? value) in parsed.Parts)
            {
                if (value is null)
                {
                    throw new ModelLoadException($"part '{key}' is null in {FileName}", key);
                }

                parts[key] = value with { Name = key };
            }
        }

        ModelManifest manifest = parsed with { Parts = parts, Folder = folder };
        ManifestValidator.Validate(manifest);
        return manifest;
    }

    /// <summary>The part with this key.</summary>
    /// <exception cref="ModelLoadException">The manifest does not list it.</exception>
    public ModelPart GetPart(string name) => Parts.TryGetValue(name, out ModelPart? part)
        ? part
        : throw new ModelLoadException($"part '{name}' is not listed in {FileName} of {Folder}", name);

    /// <summary>Absolute path of a part's ONNX file.</summary>
    public string GetPartPath(string name) => ResolvePath(GetPart(name).File);

    /// <summary>Absolute path of a file named relative to the model folder.</summary>
    public string ResolvePath(string relative) => Path.GetFullPath(Path.Combine(Folder, relative));

    /// <summary>The id of a special token.</summary>
    /// <exception cref="ModelLoadException">The token is not in <see cref="SpecialTokens"/>.</exception>
    public int GetSpecialTokenId(string token) => SpecialTokens.TryGetValue(token, out int id)
        ? id
        : throw new ModelLoadException($"special token '{token}' is not listed in {FileName}");

    private static string? PartFromJsonPath(string? path)
    {
        if (path is null)
        {
            return null;
        }

        Match m = PartPathRegex().Match(path);
        return m.Success ? (m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value) : null;
    }

    [GeneratedRegex(@"^\$\.parts(?:\.([A-Za-z0-9_\-]+)|\['([^']+)'\])")]
    private static partial Regex PartPathRegex();
}
