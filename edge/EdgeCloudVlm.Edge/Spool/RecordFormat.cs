using System.Buffers.Binary;
using System.IO.Hashing;

namespace EdgeCloudVlm.Edge.Spool;

/// <summary>
/// The framing shared by spool segments and the delivery ledger: <c>magic u32 | length u32 | crc32 u32 | payload</c>,
/// little endian, where the CRC-32 covers the length field and the payload. Covering the length means a flipped length
/// is caught like a flipped payload byte; the magic lets a reader find the next record after a damaged one.
/// </summary>
internal static class RecordFormat
{
    /// <summary>"ECVR" read as little-endian bytes.</summary>
    public const uint Magic = 0x52564345;

    public const int HeaderLength = 12;

    /// <summary>Anything longer is a damaged length field, not a real record (frames are kilobytes).</summary>
    public const int MaxPayloadLength = 64 * 1024 * 1024;

    public static int EncodedLength(int payloadLength) => HeaderLength + payloadLength;

    public static byte[] Encode(ReadOnlySpan<byte> payload)
    {
        var record = new byte[EncodedLength(payload.Length)];
        BinaryPrimitives.WriteUInt32LittleEndian(record, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(record.AsSpan(4), payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), Checksum(record.AsSpan(4, 4), payload));
        payload.CopyTo(record.AsSpan(HeaderLength));
        return record;
    }

    /// <summary>
    /// Splits <paramref name="data"/> into valid records. A damaged region is skipped up to the next position where a
    /// whole record validates; damage with no valid record after it is a torn tail (a write cut short by a crash, or
    /// the zero fill a power loss can leave).
    /// </summary>
    public static ScanResult Scan(ReadOnlySpan<byte> data, List<RecordLocation> records)
    {
        var damaged = new List<DamagedRegion>();
        int position = 0;
        while (position < data.Length)
        {
            if (TryValidate(data, position, out int length))
            {
                records.Add(new RecordLocation(position, length));
                position += EncodedLength(length);
                continue;
            }

            int next = FindNextValid(data, position + 1);
            if (next < 0)
            {
                damaged.Add(new DamagedRegion(position, data.Length - position, IsTail: true));
                break;
            }

            damaged.Add(new DamagedRegion(position, next - position, IsTail: false));
            position = next;
        }

        return new ScanResult(damaged);
    }

    /// <summary>The payload of a record found by <see cref="Scan"/>, or read back at a known offset.</summary>
    public static bool TryReadPayload(ReadOnlySpan<byte> record, out ReadOnlySpan<byte> payload)
    {
        payload = default;
        if (!TryValidate(record, 0, out int length))
        {
            return false;
        }

        payload = record.Slice(HeaderLength, length);
        return true;
    }

    private static bool TryValidate(ReadOnlySpan<byte> data, int position, out int length)
    {
        length = 0;
        if (data.Length - position < HeaderLength || BinaryPrimitives.ReadUInt32LittleEndian(data[position..]) != Magic)
        {
            return false;
        }

        length = BinaryPrimitives.ReadInt32LittleEndian(data[(position + 4)..]);
        if (length < 0 || length > MaxPayloadLength || length > data.Length - position - HeaderLength)
        {
            return false;
        }

        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(data[(position + 8)..]);
        return stored == Checksum(data.Slice(position + 4, 4), data.Slice(position + HeaderLength, length));
    }

    private static int FindNextValid(ReadOnlySpan<byte> data, int from)
    {
        Span<byte> magic = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(magic, Magic);
        while (from < data.Length)
        {
            int found = data[from..].IndexOf(magic);
            if (found < 0)
            {
                return -1;
            }

            int candidate = from + found;
            if (TryValidate(data, candidate, out _))
            {
                return candidate;
            }

            from = candidate + 1;
        }

        return -1;
    }

    private static uint Checksum(ReadOnlySpan<byte> lengthField, ReadOnlySpan<byte> payload)
    {
        var crc = new Crc32();
        crc.Append(lengthField);
        crc.Append(payload);
        return crc.GetCurrentHashAsUInt32();
    }
}

/// <summary>Where a valid record starts and how long its payload is.</summary>
internal readonly record struct RecordLocation(int Offset, int PayloadLength)
{
    public int EncodedLength => RecordFormat.HeaderLength + PayloadLength;
}

/// <summary>Bytes that are not a valid record.</summary>
internal readonly record struct DamagedRegion(int Offset, int Length, bool IsTail);

internal sealed record ScanResult(IReadOnlyList<DamagedRegion> Damaged);
