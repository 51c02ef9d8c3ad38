using EdgeCloudVlm.Inference.Manifest;

namespace EdgeCloudVlm.Inference.Text;

/// <summary>
/// A parsed prompt template such as <c>[BOS] [IMG] {question} [SEP]</c>: the text around <c>{question}</c> is split on
/// whitespace; a piece that is a special token maps to its id, anything else is tokenized as text.
/// </summary>
public sealed class PromptTemplate
{
    /// <summary>The slot the question goes into.</summary>
    public const string QuestionSlot = "{question}";

    private readonly int[] _prefix;
    private readonly int[] _suffix;
    private readonly int _imageInPrefix;
    private readonly int _imageInSuffix;

    /// <summary>Parses <paramref name="template"/>.</summary>
    /// <param name="template">Template text with exactly one <c>{question}</c>.</param>
    /// <param name="imagePlaceholder">The special token that marks the image; must occur exactly once.</param>
    /// <param name="specialTokens">Special token text to id.</param>
    /// <param name="encodeText">Tokenizes a non-special piece of the template.</param>
    /// <exception cref="ModelLoadException">The template lacks the slot or the placeholder, or repeats one.</exception>
    public PromptTemplate(
        string template,
        string imagePlaceholder,
        IReadOnlyDictionary<string, int> specialTokens,
        Func<string, IReadOnlyList<int>> encodeText)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(specialTokens);
        ArgumentNullException.ThrowIfNull(encodeText);
        Template = template;
        int slot = template.IndexOf(QuestionSlot, StringComparison.Ordinal);
        if (slot < 0 || template.IndexOf(QuestionSlot, slot + 1, StringComparison.Ordinal) >= 0)
        {
            throw new ModelLoadException($"prompt template '{template}' must contain {QuestionSlot} exactly once");
        }

        if (!specialTokens.TryGetValue(imagePlaceholder, out int imageId))
        {
            throw new ModelLoadException($"image placeholder '{imagePlaceholder}' is not a special token");
        }

        _prefix = Pieces(template[..slot], specialTokens, encodeText);
        _suffix = Pieces(template[(slot + QuestionSlot.Length)..], specialTokens, encodeText);
        _imageInPrefix = Array.IndexOf(_prefix, imageId);
        _imageInSuffix = Array.IndexOf(_suffix, imageId);
        int count = Count(_prefix, imageId) + Count(_suffix, imageId);
        if (count != 1)
        {
            throw new ModelLoadException(
                $"prompt template '{template}' must contain the image placeholder {imagePlaceholder} exactly once (found {count})");
        }
    }

    /// <summary>The template text.</summary>
    public string Template { get; }

    /// <summary>Ids before the question.</summary>
    public ReadOnlySpan<int> Prefix => _prefix;

    /// <summary>Ids after the question.</summary>
    public ReadOnlySpan<int> Suffix => _suffix;

    /// <summary>Assembles the prompt around already tokenized question ids.</summary>
    public TokenizedPrompt Build(IReadOnlyList<int> questionIds)
    {
        ArgumentNullException.ThrowIfNull(questionIds);
        var ids = new int[_prefix.Length + questionIds.Count + _suffix.Length];
        _prefix.CopyTo(ids, 0);
        for (int i = 0; i < questionIds.Count; i++)
        {
            ids[_prefix.Length + i] = questionIds[i];
        }

        _suffix.CopyTo(ids, _prefix.Length + questionIds.Count);
        int image = _imageInPrefix >= 0 ? _imageInPrefix : _prefix.Length + questionIds.Count + _imageInSuffix;
        return new TokenizedPrompt(ids, image);
    }

    private static int[] Pieces(
        string text, IReadOnlyDictionary<string, int> specialTokens, Func<string, IReadOnlyList<int>> encodeText)
    {
        var ids = new List<int>();
        foreach (string piece in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            if (specialTokens.TryGetValue(piece, out int id))
            {
                ids.Add(id);
            }
            else
            {
                ids.AddRange(encodeText(piece));
            }
        }

        return [.. ids];
    }

    private static int Count(int[] ids, int id)
    {
        int n = 0;
        foreach (int x in ids)
        {
            n += x == id ? 1 : 0;
        }

        return n;
    }
}
