using System.Text;
using System.Text.RegularExpressions;
using EdgeCloudVlm.Inference.Manifest;
using Microsoft.ML.Tokenizers;

namespace EdgeCloudVlm.Inference.Text;

/// <summary>
/// The model's tokenizer: Microsoft.ML.Tokenizers' WordPiece over the manifest's vocabulary, with the manifest's
/// lower-casing and word splitting, plus the prompt template and a decoder that joins tokens with single spaces
/// (continuation pieces attach to the previous token), as the training script's <c>decode</c> does.
/// </summary>
public sealed class VlmTokenizer
{
    /// <summary>Words are runs of letters and digits; every other non-space character is a word of its own.
    /// Equivalent to the training script's <c>[^\W_]+|[^\w\s]|_</c>.</summary>
    public const string DefaultWordPattern = @"[^\W_]+|[^\w\s]|_";

    private readonly string[] _vocab;
    private readonly string _continuingPrefix;

    private VlmTokenizer(WordPieceTokenizer inner, string[] vocab, string continuingPrefix, ModelManifest manifest)
    {
        Inner = inner;
        _vocab = vocab;
        _continuingPrefix = continuingPrefix;
        SpecialTokenRoles roles = manifest.SpecialTokenRoles;
        BosId = manifest.GetSpecialTokenId(roles.Bos);
        EosId = manifest.Generation.EosTokenId;
        SeparatorId = manifest.GetSpecialTokenId(roles.Separator);
        PadId = manifest.GetSpecialTokenId(roles.Pad);
        UnknownId = manifest.GetSpecialTokenId(roles.Unk);
        ImageTokenId = manifest.GetSpecialTokenId(manifest.Prompt.ImagePlaceholder);
        Template = new PromptTemplate(manifest.Prompt.Template, manifest.Prompt.ImagePlaceholder, manifest.SpecialTokens, Encode);
    }

    /// <summary>The Microsoft.ML.Tokenizers tokenizer doing the encoding.</summary>
    public Tokenizer Inner { get; }

    /// <summary>The prompt template.</summary>
    public PromptTemplate Template { get; }

    /// <summary>Tokens in the vocabulary file.</summary>
    public int VocabularySize => _vocab.Length;

    /// <summary>Beginning-of-sequence id.</summary>
    public int BosId { get; }

    /// <summary>End-of-sequence id.</summary>
    public int EosId { get; }

    /// <summary>Separator id.</summary>
    public int SeparatorId { get; }

    /// <summary>Padding id.</summary>
    public int PadId { get; }

    /// <summary>Unknown-word id.</summary>
    public int UnknownId { get; }

    /// <summary>Image placeholder id.</summary>
    public int ImageTokenId { get; }

    /// <summary>Creates the tokenizer described by <paramref name="manifest"/>.</summary>
    /// <exception cref="ModelLoadException">The tokenizer type is unsupported or the vocabulary disagrees with the manifest.</exception>
    public static VlmTokenizer Create(ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        TokenizerSpec spec = manifest.Tokenizer;
        if (!spec.Type.Contains("wordpiece", StringComparison.OrdinalIgnoreCase))
        {
            throw new ModelLoadException($"tokenizer type '{spec.Type}' is not supported (wordpiece)");
        }

        string path = manifest.ResolvePath(spec.File);
        if (!File.Exists(path))
        {
            throw new ModelLoadException($"tokenizer file {spec.File} not found in {manifest.Folder}");
        }

        string[] vocab = File.ReadAllLines(path);
        if (vocab.Length > manifest.LanguageModel.VocabSize)
        {
            throw new ModelLoadException(
                $"{spec.File} has {vocab.Length} tokens, more than language_model.vocab_size {manifest.LanguageModel.VocabSize}");
        }

        foreach ((string token, int id) in manifest.SpecialTokens)
        {
            if ((uint)id >= (uint)vocab.Length || vocab[id] != token)
            {
                throw new ModelLoadException($"special token '{token}' has id {id} in {ModelManifest.FileName} but not in {spec.File}");
            }
        }

        IReadOnlyDictionary<string, string> bert = spec.BertOptions ?? new Dictionary<string, string>();
        string unknown = bert.TryGetValue("UnknownToken", out string? u) ? u : manifest.SpecialTokenRoles.Unk;
        string prefix = bert.TryGetValue("ContinuingSubwordPrefix", out string? p) ? p : "##";
        var options = new WordPieceOptions
        {
            UnknownToken = unknown,
            ContinuingSubwordPrefix = prefix,
            Normalizer = spec.Lowercase ? LowerCaseNormalizer.Instance : null,
            PreTokenizer = new RegexPreTokenizer(
                new Regex(spec.PreTokenizerPattern ?? DefaultWordPattern, RegexOptions.CultureInvariant | RegexOptions.Compiled),
                null),
        };
        WordPieceTokenizer inner = WordPieceTokenizer.Create(path, options);
        return new VlmTokenizer(inner, vocab, prefix, manifest);
    }

    /// <summary>Token ids of free text (no special tokens are added).</summary>
    public IReadOnlyList<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Inner.EncodeToIds(text);
    }

    /// <summary>The prompt for <paramref name="question"/>: the template with the question's tokens in its slot.</summary>
    public TokenizedPrompt BuildPrompt(string question) => Template.Build(Encode(question));

    /// <summary>The vocabulary entry of <paramref name="id"/> (the unknown token for ids past the vocabulary file).</summary>
    public string GetToken(int id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        return id < _vocab.Length ? _vocab[id] : _vocab[UnknownId];
    }

    /// <summary>Answer ids to text: tokens joined by single spaces, continuation pieces glued to the previous token.</summary>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var builder = new StringBuilder();
        for (int i = 0; i < ids.Length; i++)
        {
            AppendToken(builder, ids[i], i == 0);
        }

        return builder.ToString();
    }

    /// <summary>Appends one token's text as <see cref="Decode"/> would, for incremental (streaming) decoding.</summary>
    public void AppendToken(StringBuilder builder, int id, bool first)
    {
        ArgumentNullException.ThrowIfNull(builder);
        string token = GetToken(id);
        if (_continuingPrefix.Length > 0 && token.Length > _continuingPrefix.Length
            && token.StartsWith(_continuingPrefix, StringComparison.Ordinal))
        {
            builder.Append(token, _continuingPrefix.Length, token.Length - _continuingPrefix.Length);
            return;
        }

        if (!first)
        {
            builder.Append(' ');
        }

        builder.Append(token);
    }
}
