using System.Buffers.Binary;

namespace EdgeCloudVlm.Codec.Coding;

/// <summary>
/// Fixed-width packing of small non-negative integers (the uncompressed baseline for VQ indices).
/// Layout: value <c>i</c> occupies stream bits <c>[i*w, (i+1)*w)</c>, least significant bit first, where stream bit
/// <c>k</c> is bit <c>k % 8</c> of byte <c>k / 8</c>. The unused high bits of the last byte are zero.
/// </summary>
public static class BitPacker
{
    /// <summary>Smallest supported width in bits.</summary>
    public const int MinBitWidth = 1;

    /// <summary>Largest supported width in bits.</summary>
    public const int MaxBitWidth = 16;

    /// <summary>
    /// Bytes needed for <paramref name="count"/> values of <paramref name="bitWidth"/> bits (1..16), LSB-first little-endian
    /// bit stream, last byte zero-padded.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative count, width outside 1..16, or a result above <see cref="int.MaxValue"/>.</exception>
    public static int PackedByteCount(int count, int bitWidth)
    {
        ValidateWidth(bitWidth);
        if (count < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "Count must be non-negative.");
        }

        long bytes = (((long)count * bitWidth) + 7) >> 3;
        if (bytes > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "Packed size exceeds the maximum span length.");
        }

        return (int)bytes;
    }

    /// <summary>
    /// Writes <paramref name="values"/> into the first <see cref="PackedByteCount"/> bytes of <paramref name="destination"/>;
    /// bytes after that are left untouched.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is negative or not below <c>2^bitWidth</c>, or the width is outside 1..16.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="PackedByteCount"/>.</exception>
    public static void Pack(ReadOnlySpan<int> values, int bitWidth, Span<byte> destination)
    {
        int byteCount = PackedByteCount(values.Length, bitWidth);
        if (destination.Length < byteCount)
        {
            throw new ArgumentException(
                $"Destination holds {destination.Length} bytes but {byteCount} are needed for {values.Length} values of {bitWidth} bits.",
                nameof(destination));
        }

        destination = destination[..byteCount];
        uint limit = 1u << bitWidth;
        if (bitWidth == 8)
        {
            for (int i = 0; i < values.Length; i++)
            {
                int v = values[i];
                if ((uint)v >= limit)
                {
                    ThrowValueOutOfRange(i, v, bitWidth);
                }

                destination[i] = (byte)v;
            }

            return;
        }

        if (bitWidth == 16)
        {
            for (int i = 0; i < values.Length; i++)
            {
                int v = values[i];
                if ((uint)v >= limit)
                {
                    ThrowValueOutOfRange(i, v, bitWidth);
                }

                BinaryPrimitives.WriteUInt16LittleEndian(destination[(2 * i)..], (ushort)v);
            }

            return;
        }

        // Pending bits stay below 32 + 16, so a 64-bit accumulator never overflows.
        ulong acc = 0;
        int pending = 0;
        int pos = 0;
        for (int i = 0; i < values.Length; i++)
        {
            int v = values[i];
            if ((uint)v >= limit)
            {
                ThrowValueOutOfRange(i, v, bitWidth);
            }

            acc |= (ulong)(uint)v << pending;
            pending += bitWidth;
            if (pending >= 32)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(destination[pos..], (uint)acc);
                pos += 4;
                acc >>= 32;
                pending -= 32;
            }
        }

        while (pending > 0)
        {
            destination[pos++] = (byte)acc;
            acc >>= 8;
            pending -= 8;
        }
    }

    /// <summary>
    /// Reads <c>values.Length</c> values. Only the first <see cref="PackedByteCount"/> bytes of <paramref name="source"/> are read;
    /// padding bits are ignored.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The width is outside 1..16.</exception>
    /// <exception cref="ArgumentException"><paramref name="source"/> is shorter than <see cref="PackedByteCount"/>.</exception>
    public static void Unpack(ReadOnlySpan<byte> source, int bitWidth, Span<int> values)
    {
        int byteCount = PackedByteCount(values.Length, bitWidth);
        if (source.Length < byteCount)
        {
            throw new ArgumentException(
                $"Source holds {source.Length} bytes but {byteCount} are needed for {values.Length} values of {bitWidth} bits.",
                nameof(source));
        }

        source = source[..byteCount];
        if (bitWidth == 8)
        {
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = source[i];
            }

            return;
        }

        if (bitWidth == 16)
        {
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = BinaryPrimitives.ReadUInt16LittleEndian(source[(2 * i)..]);
            }

            return;
        }

        ulong mask = (1UL << bitWidth) - 1;
        ulong acc = 0;
        int available = 0;
        int pos = 0;
        for (int i = 0; i < values.Length; i++)
        {
            if (available < bitWidth)
            {
                // Whole-word refills only while four bytes remain inside the packed region; the tail goes byte by byte.
                if (pos + 4 <= byteCount)
                {
                    acc |= (ulong)BinaryPrimitives.ReadUInt32LittleEndian(source[pos..]) << available;
                    pos += 4;
                    available += 32;
                }
                else
                {
                    while (available < bitWidth)
                    {
                        acc |= (ulong)source[pos++] << available;
                        available += 8;
                    }
                }
            }

            values[i] = (int)(acc & mask);
            acc >>= bitWidth;
            available -= bitWidth;
        }
    }

    private static void ValidateWidth(int bitWidth)
    {
        if (bitWidth is < MinBitWidth or > MaxBitWidth)
        {
            throw new ArgumentOutOfRangeException(nameof(bitWidth), bitWidth, $"Bit width must be in {MinBitWidth}..{MaxBitWidth}.");
        }
    }

    private static void ThrowValueOutOfRange(int index, int value, int bitWidth) =>
        throw new ArgumentOutOfRangeException(
            nameof(value), value, $"Value at index {index} does not fit in {bitWidth} bits (must be in 0..{(1 << bitWidth) - 1}).");
}
