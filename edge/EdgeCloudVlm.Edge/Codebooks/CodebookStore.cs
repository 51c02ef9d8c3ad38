using EdgeCloudVlm.Codec;
using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Edge.State;
using EdgeCloudVlm.Edge.Telemetry;
using EdgeCloudVlm.Inference.Manifest;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.Edge.Codebooks;

/// <summary>
/// The codebook the agent encodes with. Candidates are the files model.json lists (checked against the ids it gives)
/// and the pulled files in <see cref="CodecOptions.Directory"/> (named by their id); every file is loaded through
/// <see cref="CodebookFile"/>, which recomputes the content hash, so a file whose hash is not the expected id is
/// refused, logged, and never used.
/// </summary>
public sealed class CodebookStore(IOptions<CodecOptions> options, AgentStatus status, ILogger<CodebookStore> logger)
{
    private volatile ActiveCodebook? _active;

    /// <summary>The codec for the active codebook, or null while there is none (frames fall back to JPEG).</summary>
    public AlignedVqCodec? Codec => _active?.Codec;

    /// <summary>Lowercase hex id of the active codebook.</summary>
    public string? ActiveId => _active?.Id;

    /// <summary>The id configured or, failing that, the first one model.json lists.</summary>
    public CodebookId? WantedId(ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        string? configured = options.Value.CodebookId;
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return CodebookId.TryParse(configured.Trim().ToLowerInvariant(), out CodebookId id)
                ? id
                : throw new CodebookRejectedException($"Edge:Codec:CodebookId '{configured}' is not 64 hex digits");
        }

        foreach (CodebookEntry entry in manifest.Codebooks)
        {
            if (CodebookId.TryParse(entry.Id, out CodebookId id))
            {
                return id;
            }
        }

        return null;
    }

    /// <summary>Activates the wanted codebook from local files, if one is there and verifies.</summary>
    /// <returns>Whether a codebook is active afterwards.</returns>
    public bool LoadLocal(ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        CodebookId? wanted = WantedId(manifest);
        foreach ((string path, CodebookId? expected) in Candidates(manifest))
        {
            if (wanted is { } w && expected is { } e && e != w)
            {
                continue;
            }

            if (TryLoad(path, wanted ?? expected, manifest.Vision.HiddenDim))
            {
                return true;
            }
        }

        return _active is not null;
    }

    /// <summary>Checks and activates a codebook obtained elsewhere (a pull).</summary>
    /// <exception cref="CodebookRejectedException">It does not fit the model.</exception>
    public void Activate(Codebook codebook, int hiddenDim, string source)
    {
        ArgumentNullException.ThrowIfNull(codebook);
        if (codebook.Dimension != hiddenDim)
        {
            throw new CodebookRejectedException(
                $"codebook {codebook.Id} is for {codebook.Dimension}-wide tokens, the model's split tensor has {hiddenDim}");
        }

        string id = codebook.Id.ToString();
        _active = new ActiveCodebook(id, new AlignedVqCodec(codebook, new AlignedVqCodecOptions { EntropyCoding = options.Value.EntropyCoding }));
        EdgeLog.CodebookActive(logger, id, source);
    }

    /// <summary>Ids of the verified codebook files the device holds, for Hello.</summary>
    public IReadOnlyList<string> HeldIds() => _active is { } a ? [a.Id] : [];

    private bool TryLoad(string path, CodebookId? expected, int hiddenDim)
    {
        try
        {
            Codebook codebook = CodebookFile.Load(path, expected);
            Activate(codebook, hiddenDim, path);
            return true;
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException or CodebookRejectedException)
        {
            string message = $"codebook file {path} refused: {ex.Message}";
            EdgeLog.CodebookRefused(logger, path, ex.Message);
            status.RecordError("codebook", message);
            return false;
        }
    }

    private IEnumerable<(string Path, CodebookId? Expected)> Candidates(ModelManifest manifest)
    {
        foreach (CodebookEntry entry in manifest.Codebooks)
        {
            yield return (manifest.ResolvePath(entry.File), CodebookId.TryParse(entry.Id, out CodebookId id) ? id : null);
        }

        string folder = options.Value.Directory;
        if (!string.IsNullOrEmpty(folder) && Directory.Exists(folder))
        {
            foreach (string path in Directory.EnumerateFiles(folder, "*" + CodebookFile.Extension).Order(StringComparer.Ordinal))
            {
                yield return (path, CodebookId.TryParse(Path.GetFileNameWithoutExtension(path), out CodebookId id) ? id : null);
            }
        }
    }

    private sealed record ActiveCodebook(string Id, AlignedVqCodec Codec);
}
