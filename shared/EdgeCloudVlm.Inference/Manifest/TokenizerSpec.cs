namespace EdgeCloudVlm.Inference.Manifest;

/// <summary>The tokenizer files and options (the <c>tokenizer</c> section of <c>model.json</c>).</summary>
public sealed record TokenizerSpec
{
    /// <summary>Tokenizer family; <c>wordpiece</c> variants are supported.</summary>
    public string Type { get; init; } = "";

    /// <summary>Vocabulary file, one token per line, line index = id.</summary>
    public string File { get; init; } = "";

    /// <summary>Lower-case the text before splitting.</summary>
    public bool Lowercase { get; init; }

    /// <summary>Description of the word splitting, informational.</summary>
    public string? PreTokenizer { get; init; }

    /// <summary>Optional regular expression whose matches are the words; by default words are runs of letters and
    /// digits, and every other non-space character is a word of its own (BERT basic tokenization).</summary>
    public string? PreTokenizerPattern { get; init; }

    /// <summary>Options named as Microsoft.ML.Tokenizers' <c>BertOptions</c> properties (UnknownToken, ...).</summary>
    public IReadOnlyDictionary<string, string> BertOptions { get; init; } = new Dictionary<string, string>();
}
