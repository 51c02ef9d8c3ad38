using System.Buffers.Binary;
using System.Security.Cryptography;

namespace EdgeCloudVlm.Codec.Codebooks;

/// <summary>The SHA-256 of a codebook's canonical bytes. Frames carry its first 8 bytes as a tag.</summary>
public readonly struct CodebookId : IEquatable<CodebookId>
{
    private readonly byte[]? _hash;

    private CodebookId(byte[] hash) => _hash = hash;

    /// <summary>The 32 hash bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _hash ?? new byte[32];

    /// <summary>First 8 bytes read little endian: what a frame stores.</summary>
    public ulong Tag => BinaryPrimitives.ReadUInt64LittleEndian(Bytes);

    /// <summary>Hashes canonical codebook bytes.</summary>
    public static CodebookId Compute(ReadOnlySpan<byte> canonicalBytes) => new(SHA256.HashData(canonicalBytes));

    /// <summary>Wraps 32 hash bytes.</summary>
    public static CodebookId FromBytes(ReadOnlySpan<byte> hash)
    {
        if (hash.Length != 32)
        {
            throw new ArgumentException("A codebook id is 32 bytes.", nameof(hash));
        }

        return new CodebookId(hash.ToArray());
    }

    /// <summary>Parses 64 hex digits.</summary>
    public static bool TryParse(string? text, out CodebookId id)
    {
        id = default;
        if (text is null || text.Length != 64)
        {
            return false;
        }

        try
        {
            id = new CodebookId(Convert.FromHexString(text));
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>Lowercase hex.</summary>
    public override string ToString() => Convert.ToHexStringLower(Bytes);

    /// <inheritdoc />
    public bool Equals(CodebookId other) => Bytes.SequenceEqual(other.Bytes);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is CodebookId other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => Tag.GetHashCode();

    /// <summary>Equality by hash bytes.</summary>
    public static bool operator ==(CodebookId left, CodebookId right) => left.Equals(right);

    /// <summary>Inequality by hash bytes.</summary>
    public static bool operator !=(CodebookId left, CodebookId right) => !left.Equals(right);
}
