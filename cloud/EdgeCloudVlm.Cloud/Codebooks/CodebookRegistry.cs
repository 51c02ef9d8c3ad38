using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Inference.Manifest;

namespace EdgeCloudVlm.Cloud.Codebooks;

/// <summary>
/// The codebooks this server holds: files from the configured folder and those listed in each served model's
/// manifest, every one verified against its content hash (and the manifest's id) on load. Frames are decoded only with
/// a codebook found here; anything else is rejected, never decoded against another table. Reads are lock-free.
/// </summary>
internal sealed partial class CodebookRegistry(ILogger<CodebookRegistry> logger)
{
    private readonly Lock _writeLock = new();
    private volatile Dictionary<CodebookId, RegisteredCodebook> _byId = [];

    /// <summary>Every codebook held, in no particular order.</summary>
    public IReadOnlyCollection<RegisteredCodebook> All => _byId.Values;

    /// <summary>The codebook with this id, if held.</summary>
    public bool TryGet(CodebookId id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out RegisteredCodebook? codebook) =>
        _byId.TryGetValue(id, out codebook);

    /// <summary>The codebook whose id starts with the 8-byte tag a frame header carries, if exactly one does.</summary>
    public RegisteredCodebook? FindByTag(ulong tag)
    {
        RegisteredCodebook? found = null;
        foreach (RegisteredCodebook codebook in _byId.Values)
        {
            if (codebook.Id.Tag == tag)
            {
                if (found is not null)
                {
                    return null;
                }

                found = codebook;
            }
        }

        return found;
    }

    /// <summary>The codebooks trained for <paramref name="modelId"/>, or all when it is empty.</summary>
    public IReadOnlyList<RegisteredCodebook> List(string? modelId)
    {
        var list = new List<RegisteredCodebook>();
        foreach (RegisteredCodebook codebook in _byId.Values)
        {
            if (string.IsNullOrEmpty(modelId) || string.Equals(codebook.ModelId, modelId, StringComparison.Ordinal))
            {
                list.Add(codebook);
            }
        }

        list.Sort(static (a, b) => string.CompareOrdinal(a.Id.ToString(), b.Id.ToString()));
        return list;
    }

    /// <summary>Loads every <c>*.avqcb</c> file in <paramref name="folder"/>; a bad file is logged and skipped.</summary>
    /// <returns>The number of codebooks loaded.</returns>
    public int LoadFolder(string folder)
    {
        int loaded = 0;
        foreach (string path in Directory.EnumerateFiles(folder, "*" + CodebookFile.Extension).Order(StringComparer.Ordinal))
        {
            if (TryLoad(path, null, null, null, null))
            {
                loaded++;
            }
        }

        return loaded;
    }

    /// <summary>Loads the codebooks <paramref name="manifest"/> lists for the model served as <paramref name="modelId"/>,
    /// checking each file against the id the manifest gives.</summary>
    /// <returns>The number of codebooks loaded.</returns>
    public int AddModelCodebooks(ModelManifest manifest, string modelId)
    {
        int loaded = 0;
        foreach (CodebookEntry entry in manifest.Codebooks)
        {
            CodebookId? expected = null;
            if (!string.IsNullOrEmpty(entry.Id))
            {
                if (!CodebookId.TryParse(entry.Id, out CodebookId parsed))
                {
                    LogBadCodebook(logger, entry.File, $"the manifest's id '{entry.Id}' is not 64 hex digits");
                    continue;
                }

                expected = parsed;
            }

            if (TryLoad(manifest.ResolvePath(entry.File), expected, modelId, manifest.Vision.SplitLayer, manifest.Vision.Tokens))
            {
                loaded++;
            }
        }

        return loaded;
    }

    private bool TryLoad(string path, CodebookId? expected, string? modelId, int? splitLayer, int? tokens)
    {
        Codebook codebook;
        try
        {
            codebook = CodebookFile.Load(path, expected);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            LogBadCodebook(logger, path, ex.Message);
            return false;
        }

        var registered = new RegisteredCodebook(codebook, path, modelId, splitLayer, tokens);
        lock (_writeLock)
        {
            // A model's manifest knows more (split layer, tokens) than a loose file, so it wins for the same id.
            if (_byId.TryGetValue(codebook.Id, out RegisteredCodebook? existing) && existing.SplitLayer is not null && splitLayer is null)
            {
                return true;
            }

            _byId = new Dictionary<CodebookId, RegisteredCodebook>(_byId) { [codebook.Id] = registered };
        }

        LogLoaded(logger, codebook.Id, registered.ModelId, path);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Codebook {Path} was not loaded: {Reason}")]
    private static partial void LogBadCodebook(ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Codebook {CodebookId} for model {ModelId} loaded from {Path}")]
    private static partial void LogLoaded(ILogger logger, CodebookId codebookId, string modelId, string path);
}
