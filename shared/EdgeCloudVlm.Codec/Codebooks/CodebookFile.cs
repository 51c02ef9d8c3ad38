using MessagePack;

namespace EdgeCloudVlm.Codec.Codebooks;

/// <summary>
/// Reads and writes codebook files: a small MessagePack envelope (format tag, version, SHA-256, body) around the
/// canonical MessagePack bytes of a <see cref="CodebookDocument"/>. The hash is checked on every load.
/// </summary>
public static class CodebookFile
{
    /// <summary>Format tag at the start of every codebook file.</summary>
    public const string FormatTag = "edgecloudvlm.alignedvq.codebook";

    /// <summary>Conventional file extension.</summary>
    public const string Extension = ".avqcb";

    private const int EnvelopeVersion = 1;

    private static readonly MessagePackSerializerOptions Options =
        MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>Serializes a document to file bytes and reports its id.</summary>
    public static byte[] Serialize(CodebookDocument document, out CodebookId id)
    {
        var body = MessagePackSerializer.Serialize(document, Options);
        id = CodebookId.Compute(body);
        var envelope = new CodebookEnvelope
        {
            Format = FormatTag,
            Version = EnvelopeVersion,
            Sha256 = id.Bytes.ToArray(),
            Body = body,
        };
        return MessagePackSerializer.Serialize(envelope, Options);
    }

    /// <summary>Parses and validates file bytes.</summary>
    /// <exception cref="InvalidDataException">Not a codebook file, hash mismatch, or inconsistent content.</exception>
    public static Codebook Load(ReadOnlyMemory<byte> fileBytes, CodebookId? expectedId = null)
    {
        CodebookEnvelope envelope;
        try
        {
            envelope = MessagePackSerializer.Deserialize<CodebookEnvelope>(fileBytes, Options)
                ?? throw new InvalidDataException("Not a codebook file: the envelope is empty.");
        }
        catch (MessagePackSerializationException ex)
        {
            throw new InvalidDataException("Not a codebook file: the envelope does not parse.", ex);
        }

        if (envelope.Format != FormatTag)
        {
            throw new InvalidDataException($"Not a codebook file: format tag is '{envelope.Format}'.");
        }

        if (envelope.Version != EnvelopeVersion)
        {
            throw new InvalidDataException($"Codebook envelope version {envelope.Version} is not supported (this build reads {EnvelopeVersion}).");
        }

        var id = CodebookId.Compute(envelope.Body);
        if (envelope.Sha256 is null || !id.Bytes.SequenceEqual(envelope.Sha256))
        {
            throw new InvalidDataException($"Codebook content hash {id} does not match the hash stored in the file.");
        }

        if (expectedId is { } expected && expected != id)
        {
            throw new InvalidDataException($"Codebook content hash {id} is not the expected id {expected}.");
        }

        CodebookDocument document;
        try
        {
            document = MessagePackSerializer.Deserialize<CodebookDocument>(envelope.Body, Options)
                ?? throw new InvalidDataException("Codebook body is empty.");
        }
        catch (MessagePackSerializationException ex)
        {
            throw new InvalidDataException("Codebook body does not parse.", ex);
        }

        try
        {
            return new Codebook(document, id, fileBytes.ToArray());
        }
        catch (ArgumentException ex)
        {
            // The run-time tables refuse what the shape checks cannot see (non-finite centroids, bad frequencies).
            throw new InvalidDataException($"Codebook content is not valid: {ex.Message}", ex);
        }
    }

    /// <summary>Loads a codebook file from disk.</summary>
    public static Codebook Load(string path, CodebookId? expectedId = null) => Load(File.ReadAllBytes(path), expectedId);

    /// <summary>Writes a codebook's file bytes to disk.</summary>
    public static void Save(Codebook codebook, string path)
    {
        ArgumentNullException.ThrowIfNull(codebook);
        File.WriteAllBytes(path, codebook.FileBytes.ToArray());
    }

    /// <summary>Builds a validated in-memory codebook from a document.</summary>
    public static Codebook Create(CodebookDocument document)
    {
        var bytes = Serialize(document, out var id);
        return new Codebook(document, id, bytes);
    }
}

/// <summary>The outer layer of a codebook file.</summary>
[MessagePackObject]
public sealed class CodebookEnvelope
{
    /// <summary>Always <see cref="CodebookFile.FormatTag"/>.</summary>
    [Key(0)] public string Format { get; set; } = "";

    /// <summary>Envelope version.</summary>
    [Key(1)] public int Version { get; set; }

    /// <summary>SHA-256 of <see cref="Body"/>.</summary>
    [Key(2)] public byte[]? Sha256 { get; set; }

    /// <summary>Canonical bytes of the <see cref="CodebookDocument"/>.</summary>
    [Key(3)] public byte[] Body { get; set; } = [];
}
