using System.Security.Cryptography;
using EdgeCloudVlm.Codec;
using EdgeCloudVlm.Codec.Codebooks;

namespace EdgeCloudVlm.Cloud.Codebooks;

/// <summary>A codebook the server holds, with the codec that decodes its frames and where it came from.</summary>
internal sealed class RegisteredCodebook
{
    public RegisteredCodebook(Codebook codebook, string source, string? modelId, int? splitLayer, int? tokens)
    {
        Codebook = codebook;
        Codec = new AlignedVqCodec(codebook);
        Source = source;
        ModelId = string.IsNullOrEmpty(modelId) ? codebook.Document.ModelId : modelId;
        SplitLayer = splitLayer;
        Tokens = tokens;
        FileBytes = codebook.FileBytes.ToArray();
        FileSha256 = Convert.ToHexStringLower(SHA256.HashData(codebook.FileBytes));
    }

    /// <summary>The exact file, as served to edges.</summary>
    public ReadOnlyMemory<byte> FileBytes { get; }

    public Codebook Codebook { get; }

    /// <summary>Decodes frames made with <see cref="Codebook"/>; thread-safe.</summary>
    public AlignedVqCodec Codec { get; }

    public CodebookId Id => Codebook.Id;

    /// <summary>The file it was loaded from.</summary>
    public string Source { get; }

    /// <summary>The model it was trained for (from the manifest that lists it, else from the codebook itself).</summary>
    public string ModelId { get; }

    /// <summary>The split layer of that model, when the codebook came with a served model.</summary>
    public int? SplitLayer { get; }

    /// <summary>Tokens per frame of that model, when known.</summary>
    public int? Tokens { get; }

    /// <summary>SHA-256 of the whole file, which downloads are checked against (the id hashes the document inside).</summary>
    public string FileSha256 { get; }
}
