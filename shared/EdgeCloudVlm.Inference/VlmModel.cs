using EdgeCloudVlm.Inference.Generation;
using EdgeCloudVlm.Inference.Manifest;
using EdgeCloudVlm.Inference.Preprocessing;
using EdgeCloudVlm.Inference.Runtime;
using EdgeCloudVlm.Inference.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeCloudVlm.Inference;

/// <summary>
/// A loaded model folder: the manifest, tokenizer, preprocessor and one session per loaded part, each validated
/// against the manifest. Owns the sessions; thread-safe for concurrent requests.
/// </summary>
public sealed class VlmModel : IDisposable
{
    private readonly VisionEdgeSession? _visionEdge;
    private readonly VisionCloudSession? _visionCloud;
    private readonly TokenEmbeddingSession? _embedTokens;
    private readonly DecoderSession? _decoder;

    private VlmModel(
        ModelManifest manifest,
        VlmTokenizer tokenizer,
        ImagePreprocessor preprocessor,
        ExecutionProvider provider,
        VisionEdgeSession? visionEdge,
        VisionCloudSession? visionCloud,
        TokenEmbeddingSession? embedTokens,
        DecoderSession? decoder)
    {
        Manifest = manifest;
        Tokenizer = tokenizer;
        Preprocessor = preprocessor;
        ActiveProvider = provider;
        _visionEdge = visionEdge;
        _visionCloud = visionCloud;
        _embedTokens = embedTokens;
        _decoder = decoder;
    }

    /// <summary>The manifest.</summary>
    public ModelManifest Manifest { get; }

    /// <summary>The tokenizer and prompt template.</summary>
    public VlmTokenizer Tokenizer { get; }

    /// <summary>Image decoding and normalization.</summary>
    public ImagePreprocessor Preprocessor { get; }

    /// <summary>The execution provider the sessions run on.</summary>
    public ExecutionProvider ActiveProvider { get; }

    /// <summary>The vision edge part.</summary>
    /// <exception cref="InvalidOperationException">The part was not loaded.</exception>
    public VisionEdgeSession VisionEdge => _visionEdge ?? throw NotLoaded(ModelPartNames.VisionEdge);

    /// <summary>The vision cloud part.</summary>
    /// <exception cref="InvalidOperationException">The part was not loaded.</exception>
    public VisionCloudSession VisionCloud => _visionCloud ?? throw NotLoaded(ModelPartNames.VisionCloud);

    /// <summary>The token embedding part.</summary>
    /// <exception cref="InvalidOperationException">The part was not loaded.</exception>
    public TokenEmbeddingSession EmbedTokens => _embedTokens ?? throw NotLoaded(ModelPartNames.EmbedTokens);

    /// <summary>The decoder part.</summary>
    /// <exception cref="InvalidOperationException">The part was not loaded.</exception>
    public DecoderSession Decoder => _decoder ?? throw NotLoaded(ModelPartNames.Decoder);

    /// <summary>Whether <paramref name="partName"/> was loaded.</summary>
    public bool HasPart(string partName) => partName switch
    {
        ModelPartNames.VisionEdge => _visionEdge is not null,
        ModelPartNames.VisionCloud => _visionCloud is not null,
        ModelPartNames.EmbedTokens => _embedTokens is not null,
        ModelPartNames.Decoder => _decoder is not null,
        _ => false,
    };

    /// <summary>
    /// Loads <paramref name="folder"/>. The execution provider is resolved once, on the first part, so an automatic
    /// fallback to CPU logs one line for the whole model.
    /// </summary>
    /// <exception cref="ModelLoadException">The folder, a file or a part's signature is wrong; the message names the part.</exception>
    /// <exception cref="ExecutionProviderUnavailableException">An explicit GPU provider cannot be loaded.</exception>
    public static VlmModel Load(string folder, VlmModelOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        options ??= new VlmModelOptions();
        IReadOnlyList<string> parts = options.Parts ?? ModelPartNames.All;
        if (parts.Count == 0)
        {
            throw new ArgumentException("no part to load", nameof(options));
        }

        foreach (string part in parts)
        {
            if (!ModelPartNames.All.Contains(part))
            {
                throw new ArgumentException($"unknown part '{part}'", nameof(options));
            }
        }

        ModelManifest manifest = ModelManifest.Load(folder, parts);
        VlmTokenizer tokenizer = VlmTokenizer.Create(manifest);
        var preprocessor = new ImagePreprocessor(manifest.Image, options.Image);
        ILogger logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<VlmModel>();

        OnnxSessionOptions sessionOptions = options.Session;
        var opened = new List<IDisposable>();
        try
        {
            OnnxSession? Open(string name)
            {
                if (!parts.Contains(name))
                {
                    return null;
                }

                OnnxSession session = OnnxSession.Create(manifest.GetPartPath(name), sessionOptions, logger);
                opened.Add(session);
                sessionOptions = sessionOptions with { Provider = session.ActiveProvider };
                return session;
            }

            VisionEdgeSession? edge = Open(ModelPartNames.VisionEdge) is { } s1 ? new VisionEdgeSession(manifest, s1) : null;
            VisionCloudSession? cloud = Open(ModelPartNames.VisionCloud) is { } s2 ? new VisionCloudSession(manifest, s2) : null;
            TokenEmbeddingSession? embed = Open(ModelPartNames.EmbedTokens) is { } s3 ? new TokenEmbeddingSession(manifest, s3) : null;
            DecoderSession? decoder = Open(ModelPartNames.Decoder) is { } s4 ? new DecoderSession(manifest, s4) : null;
            return new VlmModel(manifest, tokenizer, preprocessor, sessionOptions.Provider, edge, cloud, embed, decoder);
        }
        catch
        {
            foreach (IDisposable d in opened)
            {
                d.Dispose();
            }

            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _visionEdge?.Dispose();
        _visionCloud?.Dispose();
        _embedTokens?.Dispose();
        _decoder?.Dispose();
    }

    private static InvalidOperationException NotLoaded(string part) => new($"part '{part}' was not loaded");
}
