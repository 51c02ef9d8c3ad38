using System.Buffers.Binary;
using System.IO.Hashing;

namespace EdgeCloudVlm.Codec.Frames;

/// <summary>
/// Byte layout of a codec frame, version 1 (little endian):
/// magic (2) | version (1) | kind and flags (1) | codebook tag (8, vector-quantized kinds only) |
/// tokens (u16) | dimension (u16) | payload length (LEB128 varint) | payload | CRC-32 of everything before it (4).
/// Every byte the cloud needs is inside the frame, so its length is the honest wire cost.
/// </summary>
public static class FrameFormat
{
    /// <summary>First byte of every frame.</summary>
    public const byte Magic0 = 0xEC;
    /// <summary>Second byte of every frame.</summary>
    public const byte Magic1 = 0x56;
    /// <summary>The version this build writes and reads.</summary>
    public const byte CurrentVersion = 1;
    /// <summary>Bytes of the trailing CRC-32.</summary>
    public const int ChecksumLength = 4;
    /// <summary>Largest header this version writes.</summary>
    public const int MaxHeaderLength = 2 + 1 + 1 + 8 + 2 + 2 + 5;
    /// <summary>Largest token count or dimension a frame can carry.</summary>
    public const int MaxExtent = ushort.MaxValue;

    /// <summary>Header length for a given kind and payload length.</summary>
    public static int HeaderLength(FrameKind kind, int payloadLength) =>
        2 + 1 + 1 + (kind == FrameKind.VectorQuantized ? 8 : 0) + 2 + 2 + VarintLength((uint)payloadLength);

    /// <summary>Total frame length for a given kind and payload length.</summary>
    public static int FrameLength(FrameKind kind, int payloadLength) =>
        HeaderLength(kind, payloadLength) + payloadLength + ChecksumLength;

    /// <summary>Writes the header and returns its length; the payload goes right after it.</summary>
    public static int WriteHeader(Span<byte> destination, FrameKind kind, FrameFlags flags, ulong codebookTag, int tokens, int dimension, int payloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tokens, MaxExtent);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dimension, MaxExtent);
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);

        destination[0] = Magic0;
        destination[1] = Magic1;
        destination[2] = CurrentVersion;
        destination[3] = (byte)((byte)kind | ((byte)flags << 4));
        var offset = 4;
        if (kind == FrameKind.VectorQuantized)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(destination[offset..], codebookTag);
            offset += 8;
        }

        BinaryPrimitives.WriteUInt16LittleEndian(destination[offset..], (ushort)tokens);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[(offset + 2)..], (ushort)dimension);
        offset += 4;
        return offset + WriteVarint(destination[offset..], (uint)payloadLength);
    }

    /// <summary>Appends the CRC-32 of <paramref name="frame"/>[0..<paramref name="lengthBeforeChecksum"/>) and returns the total frame length.</summary>
    public static int Seal(Span<byte> frame, int lengthBeforeChecksum)
    {
        var crc = Crc32.HashToUInt32(frame[..lengthBeforeChecksum]);
        BinaryPrimitives.WriteUInt32LittleEndian(frame[lengthBeforeChecksum..], crc);
        return lengthBeforeChecksum + ChecksumLength;
    }

    /// <summary>
    /// Validates everything that does not need a codebook: magic, version, kind, shape limits, exact length and checksum.
    /// Never throws and never reads outside <paramref name="frame"/>.
    /// </summary>
    public static FrameStatus TryReadHeader(ReadOnlySpan<byte> frame, out FrameHeader header)
    {
        header = default;
        if (frame.Length < 2)
        {
            return FrameStatus.Truncated;
        }

        if (frame[0] != Magic0 || frame[1] != Magic1)
        {
            return FrameStatus.BadMagic;
        }

        if (frame.Length < 4)
        {
            return FrameStatus.Truncated;
        }

        if (frame[2] != CurrentVersion)
        {
            return FrameStatus.UnsupportedVersion;
        }

        var kind = (FrameKind)(frame[3] & 0x0F);
        var flags = (FrameFlags)(frame[3] >> 4);
        if (kind is < FrameKind.VectorQuantized or > FrameKind.Int4PerToken)
        {
            return FrameStatus.UnknownKind;
        }

        if ((flags & ~(FrameFlags.EntropyCoded | FrameFlags.TokenStatistics)) != 0)
        {
            return FrameStatus.UnknownKind;
        }

        var offset = 4;
        ulong tag = 0;
        if (kind == FrameKind.VectorQuantized)
        {
            if (frame.Length < offset + 8)
            {
                return FrameStatus.Truncated;
            }

            tag = BinaryPrimitives.ReadUInt64LittleEndian(frame[offset..]);
            offset += 8;
        }

        if (frame.Length < offset + 4)
        {
            return FrameStatus.Truncated;
        }

        int tokens = BinaryPrimitives.ReadUInt16LittleEndian(frame[offset..]);
        int dimension = BinaryPrimitives.ReadUInt16LittleEndian(frame[(offset + 2)..]);
        offset += 4;
        if (tokens == 0 || dimension == 0)
        {
            return FrameStatus.ShapeMismatch;
        }

        var varintStatus = TryReadVarint(frame[offset..], out var payloadLength, out var varintLength);
        if (varintStatus != FrameStatus.Ok)
        {
            return varintStatus;
        }

        offset += varintLength;
        long expected = (long)offset + payloadLength + ChecksumLength;
        if (frame.Length < expected)
        {
            return FrameStatus.Truncated;
        }

        if (frame.Length > expected)
        {
            return FrameStatus.TrailingBytes;
        }

        var body = frame[..(int)(expected - ChecksumLength)];
        if (Crc32.HashToUInt32(body) != BinaryPrimitives.ReadUInt32LittleEndian(frame[body.Length..]))
        {
            return FrameStatus.ChecksumMismatch;
        }

        header = new FrameHeader(CurrentVersion, kind, flags, tag, tokens, dimension, offset, (int)payloadLength);
        return FrameStatus.Ok;
    }

    private static int VarintLength(uint value)
    {
        var length = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            length++;
        }

        return length;
    }

    private static int WriteVarint(Span<byte> destination, uint value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    private static FrameStatus TryReadVarint(ReadOnlySpan<byte> source, out uint value, out int length)
    {
        value = 0;
        length = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            if (length >= source.Length)
            {
                return FrameStatus.Truncated;
            }

            var b = source[length++];
            if (shift == 28 && b > 0x0F)
            {
                return FrameStatus.CorruptPayload;
            }

            value |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value > int.MaxValue ? FrameStatus.CorruptPayload : FrameStatus.Ok;
            }
        }

        return FrameStatus.CorruptPayload;
    }
}
