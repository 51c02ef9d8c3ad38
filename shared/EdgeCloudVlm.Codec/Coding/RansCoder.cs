using System.Buffers;
using System.Buffers.Binary;

namespace EdgeCloudVlm.Codec.Coding;

/// <summary>
/// rANS entropy coder with a 64-bit state and 32-bit renormalization words, so tables up to
/// <see cref="FrequencyTable.MaxScaleBits"/> bits work with 65536-symbol alphabets.
/// </summary>
/// <remarks>
/// Stream layout: nothing for zero symbols; otherwise the encoder's final state (8 bytes, little-endian) followed by the
/// renormalization words (4 bytes each, little-endian) in the order the decoder consumes them. Symbols are encoded last to
/// first so decoding runs forward. The encoder starts from a fixed state, and the decoder requires landing back on it with
/// every byte consumed, which rejects truncated, padded and most corrupted streams.
/// </remarks>
public static class RansCoder
{
    // Lower bound of the normalized state interval [L, L << 32).
    private const ulong StateLow = 1UL << 31;
    private const ulong StateHigh = StateLow << 32;
    private const int StateBytes = sizeof(ulong);
    private const int WordBytes = sizeof(uint);

    /// <summary>
    /// Entropy-codes <paramref name="symbols"/>; symbol <c>i</c> uses <c>tables[i % tables.Length]</c> (interleaved layout,
    /// e.g. a token's G groups each with their own table).
    /// </summary>
    /// <returns>
    /// <see cref="OperationStatus.Done"/>, or <see cref="OperationStatus.DestinationTooSmall"/> with
    /// <paramref name="bytesWritten"/> = 0 (the destination content is then unspecified).
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException">A symbol is outside its table's alphabet.</exception>
    /// <exception cref="ArgumentException">Symbols are given but no tables.</exception>
    /// <exception cref="ArgumentNullException">A table entry is null.</exception>
    public static OperationStatus Encode(
        ReadOnlySpan<int> symbols, ReadOnlySpan<FrequencyTable> tables, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (symbols.IsEmpty)
        {
            return OperationStatus.Done;
        }

        ValidateTables(tables);

        // Written back to front so the decoder can read front to back; moved to the start of destination at the end.
        ulong state = StateLow;
        int pos = destination.Length;
        int t = (symbols.Length - 1) % tables.Length;
        for (int i = symbols.Length - 1; i >= 0; i--)
        {
            FrequencyTable table = tables[t];
            t = t == 0 ? tables.Length - 1 : t - 1;

            int symbol = symbols[i];
            uint[] frequencies = table.FrequencyArray;
            if ((uint)symbol >= (uint)frequencies.Length)
            {
                ThrowSymbolOutOfRange(i, symbol, frequencies.Length);
            }

            ulong freq = frequencies[symbol];
            int scaleBits = table.ScaleBits;

            // Emitting a word first keeps the encoded state inside [L, L << 32).
            ulong limit = ((StateLow >> scaleBits) << 32) * freq;
            if (state >= limit)
            {
                if (pos < WordBytes)
                {
                    return OperationStatus.DestinationTooSmall;
                }

                pos -= WordBytes;
                BinaryPrimitives.WriteUInt32LittleEndian(destination[pos..], (uint)state);
                state >>= 32;
            }

            ulong quotient = state / freq;
            state = (quotient << scaleBits) + (state - (quotient * freq)) + table.CumulativeArray[symbol];
        }

        if (pos < StateBytes)
        {
            return OperationStatus.DestinationTooSmall;
        }

        pos -= StateBytes;
        BinaryPrimitives.WriteUInt64LittleEndian(destination[pos..], state);

        int length = destination.Length - pos;
        destination[pos..].CopyTo(destination);
        bytesWritten = length;
        return OperationStatus.Done;
    }

    /// <summary>Upper bound on the encoded size of <paramref name="symbolCount"/> symbols with these tables, for sizing buffers.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative count, or a bound beyond the maximum array length.</exception>
    /// <exception cref="ArgumentException">A positive count but no tables.</exception>
    /// <exception cref="ArgumentNullException">A table entry is null.</exception>
    public static int MaxEncodedLength(int symbolCount, ReadOnlySpan<FrequencyTable> tables)
    {
        if (symbolCount < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(symbolCount), symbolCount, "Symbol count must be non-negative.");
        }

        if (symbolCount == 0)
        {
            return 0;
        }

        ValidateTables(tables);

        // A symbol adds at most ScaleBits bits (its frequency is >= 1) plus a tiny excess from integer division in the
        // state update (far below one bit for ScaleBits <= 24), so one extra bit per symbol and one extra word is safe.
        // Independently, a symbol never emits more than one word.
        long cycleBits = 0;
        for (int t = 0; t < tables.Length; t++)
        {
            cycleBits += tables[t].ScaleBits + 1;
        }

        long fullCycles = Math.DivRem(symbolCount, tables.Length, out long partial);
        long bits = fullCycles * cycleBits;
        for (int t = 0; t < partial; t++)
        {
            bits += tables[t].ScaleBits + 1;
        }

        long words = Math.Min(((bits + 31) >> 5) + 1, symbolCount);
        long bound = StateBytes + (words * WordBytes);
        if (bound > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(symbolCount), symbolCount, "Encoded size bound exceeds the maximum array length.");
        }

        return (int)bound;
    }

    /// <summary>
    /// Decodes exactly <c>symbols.Length</c> symbols with the same interleaved table layout as <see cref="Encode"/>.
    /// Never throws on any input bytes, never reads out of bounds, and runs in O(source + symbols).
    /// </summary>
    /// <returns>
    /// <see cref="OperationStatus.Done"/> only if the whole source was consumed and the final state equals the encoder's
    /// initial state; otherwise <see cref="OperationStatus.InvalidData"/> (truncated, trailing or corrupt input), in which
    /// case the content of <paramref name="symbols"/> is unspecified.
    /// </returns>
    /// <exception cref="ArgumentException">Symbols are requested but no tables are given.</exception>
    /// <exception cref="ArgumentNullException">A table entry is null.</exception>
    public static OperationStatus Decode(ReadOnlySpan<byte> source, ReadOnlySpan<FrequencyTable> tables, Span<int> symbols)
    {
        if (symbols.IsEmpty)
        {
            return source.IsEmpty ? OperationStatus.Done : OperationStatus.InvalidData;
        }

        ValidateTables(tables);
        if (source.Length < StateBytes)
        {
            return OperationStatus.InvalidData;
        }

        ulong state = BinaryPrimitives.ReadUInt64LittleEndian(source);
        if (state is < StateLow or >= StateHigh)
        {
            return OperationStatus.InvalidData;
        }

        int pos = StateBytes;
        int t = 0;
        for (int i = 0; i < symbols.Length; i++)
        {
            FrequencyTable table = tables[t];
            t = t == tables.Length - 1 ? 0 : t + 1;

            int scaleBits = table.ScaleBits;
            uint slot = (uint)state & ((1u << scaleBits) - 1);
            int symbol = table.SymbolForSlot(slot);
            ulong freq = table.FrequencyArray[symbol];
            state = (freq * (state >> scaleBits)) + slot - table.CumulativeArray[symbol];

            // From a state in [L, L << 32) the update leaves a value >= 1, so one word always restores [L, L << 32).
            if (state < StateLow)
            {
                if (source.Length - pos < WordBytes)
                {
                    return OperationStatus.InvalidData;
                }

                state = (state << 32) | BinaryPrimitives.ReadUInt32LittleEndian(source[pos..]);
                pos += WordBytes;
            }

            symbols[i] = symbol;
        }

        return pos == source.Length && state == StateLow ? OperationStatus.Done : OperationStatus.InvalidData;
    }

    private static void ValidateTables(ReadOnlySpan<FrequencyTable> tables)
    {
        if (tables.IsEmpty)
        {
            throw new ArgumentException("At least one frequency table is required.", nameof(tables));
        }

        for (int t = 0; t < tables.Length; t++)
        {
            if (tables[t] is null)
            {
                throw new ArgumentNullException(nameof(tables), $"Frequency table {t} is null.");
            }
        }
    }

    private static void ThrowSymbolOutOfRange(int index, int symbol, int symbolCount) =>
        throw new ArgumentOutOfRangeException(
            nameof(symbol), symbol, $"Symbol at index {index} is outside its table's alphabet 0..{symbolCount - 1}.");
}
