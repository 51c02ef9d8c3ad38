namespace EdgeCloudVlm.Codec.Coding;

/// <summary>
/// Immutable normalized frequency table for one symbol alphabet (size 2..65536). Frequencies sum to <c>1 &lt;&lt; ScaleBits</c>
/// and every symbol has frequency at least 1, so any symbol stays encodable.
/// </summary>
public sealed class FrequencyTable
{
    /// <summary>Largest supported scale (precision) in bits.</summary>
    public const int MaxScaleBits = 24;

    /// <summary>Smallest supported alphabet.</summary>
    public const int MinSymbolCount = 2;

    /// <summary>Largest supported alphabet.</summary>
    public const int MaxSymbolCount = 65536;

    /// <summary>
    /// Tables at or below this scale decode through an exact slot-to-symbol array; larger ones binary-search
    /// <see cref="_cumulative"/>, narrowed by a guide array of this many bits.
    /// </summary>
    internal const int MaxLookupScaleBits = 16;

    private readonly uint[] _frequencies;

    // _cumulative[s] = sum of frequencies below s; length SymbolCount + 1, strictly increasing, last entry = 1 << ScaleBits.
    private readonly uint[] _cumulative;

    // Built on first decode: the exact slot map, or for larger scales the bucket guide (see BuildSlotLookup).
    private ushort[]? _slotLookup;

    private FrequencyTable(uint[] frequencies, int scaleBits)
    {
        _frequencies = frequencies;
        ScaleBits = scaleBits;
        _cumulative = new uint[frequencies.Length + 1];
        uint running = 0;
        for (int s = 0; s < frequencies.Length; s++)
        {
            _cumulative[s] = running;
            running += frequencies[s];
        }

        _cumulative[frequencies.Length] = running;
    }

    /// <summary>Number of symbols in the alphabet.</summary>
    public int SymbolCount => _frequencies.Length;

    /// <summary>Frequencies sum to <c>1 &lt;&lt; ScaleBits</c>.</summary>
    public int ScaleBits { get; }

    /// <summary>Normalized frequency of each symbol; length <see cref="SymbolCount"/>.</summary>
    public ReadOnlySpan<uint> Frequencies => _frequencies;

    internal uint[] FrequencyArray => _frequencies;

    internal uint[] CumulativeArray => _cumulative;

    /// <summary>
    /// Builds a table from observed counts (any non-negative values; all zero gives a uniform table). The counts are quantized
    /// so that the coded size stays close to their empirical entropy. <paramref name="scaleBits"/> defaults to
    /// <c>max(12, ceil(log2(SymbolCount)) + 4)</c> capped at <see cref="MaxScaleBits"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// Alphabet size outside 2..65536, a negative count, or a scale outside 1..24 or too small to give every symbol a slot.
    /// </exception>
    public static FrequencyTable FromCounts(ReadOnlySpan<long> counts, int? scaleBits = null)
    {
        if (counts.Length is < MinSymbolCount or > MaxSymbolCount)
        {
            throw new ArgumentOutOfRangeException(
                nameof(counts), counts.Length, $"Alphabet size must be in {MinSymbolCount}..{MaxSymbolCount}.");
        }

        int bits = scaleBits ?? DefaultScaleBits(counts.Length);
        if (bits is < 1 or > MaxScaleBits || (1L << bits) < counts.Length)
        {
            throw new ArgumentOutOfRangeException(
                nameof(scaleBits), bits, $"Scale bits must be in 1..{MaxScaleBits} and give at least one slot per symbol ({counts.Length}).");
        }

        return new FrequencyTable(FrequencyQuantizer.Quantize(counts, bits), bits);
    }

    /// <summary>
    /// Rebuilds a table from stored frequencies (for example a deserialized codebook), validating them.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// Length outside 2..65536, scale outside 1..24, a zero frequency, or a sum different from <c>1 &lt;&lt; scaleBits</c>.
    /// </exception>
    public static FrequencyTable FromFrequencies(ReadOnlySpan<uint> frequencies, int scaleBits)
    {
        if (frequencies.Length is < MinSymbolCount or > MaxSymbolCount)
        {
            throw new InvalidDataException(
                $"Frequency table has {frequencies.Length} symbols; expected {MinSymbolCount}..{MaxSymbolCount}.");
        }

        if (scaleBits is < 1 or > MaxScaleBits)
        {
            throw new InvalidDataException($"Frequency table scale is {scaleBits} bits; expected 1..{MaxScaleBits}.");
        }

        ulong sum = 0;
        for (int s = 0; s < frequencies.Length; s++)
        {
            if (frequencies[s] == 0)
            {
                throw new InvalidDataException($"Frequency table entry {s} is zero; every symbol needs frequency >= 1.");
            }

            sum += frequencies[s];
        }

        ulong expected = 1UL << scaleBits;
        if (sum != expected)
        {
            throw new InvalidDataException($"Frequency table sums to {sum}; expected {expected} (1 << {scaleBits}).");
        }

        return new FrequencyTable(frequencies.ToArray(), scaleBits);
    }

    /// <summary>Shannon cost in bits of coding <paramref name="symbol"/> with this table: <c>log2(total / freq)</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="symbol"/> is outside <c>0..SymbolCount-1</c>.</exception>
    public double CostInBits(int symbol)
    {
        if ((uint)symbol >= (uint)_frequencies.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(symbol), symbol, $"Symbol must be in 0..{_frequencies.Length - 1}.");
        }

        return ScaleBits - Math.Log2(_frequencies[symbol]);
    }

    /// <summary>Maps a slot in <c>[0, 1 &lt;&lt; ScaleBits)</c> to the symbol owning it.</summary>
    internal int SymbolForSlot(uint slot)
    {
        ushort[] lookup = _slotLookup ?? BuildSlotLookup();
        int shift = ScaleBits - MaxLookupScaleBits;
        if (shift <= 0)
        {
            return lookup[slot];
        }

        // The owner of slot lies between the owners of its bucket's first slot and of the next bucket's first slot.
        uint bucket = slot >> shift;
        return SearchCumulative(slot, lookup[bucket], lookup[bucket + 1]);
    }

    private int SearchCumulative(uint slot, int lo, int hi)
    {
        // Largest s in [lo, hi] with _cumulative[s] <= slot; frequencies >= 1 make the array strictly increasing.
        uint[] cumulative = _cumulative;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >>> 1;
            if (cumulative[mid] <= slot)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return lo;
    }

    private ushort[] BuildSlotLookup()
    {
        ushort[] built;
        int shift = ScaleBits - MaxLookupScaleBits;
        if (shift <= 0)
        {
            // Exact slot -> symbol map: at most 2^16 entries.
            built = new ushort[1 << ScaleBits];
            for (int s = 0; s < _frequencies.Length; s++)
            {
                built.AsSpan((int)_cumulative[s], (int)_frequencies[s]).Fill((ushort)s);
            }
        }
        else
        {
            // Bucket guide for the binary search: entry b is the owner of slot b << shift; the sentinel is the last symbol.
            int buckets = 1 << MaxLookupScaleBits;
            built = new ushort[buckets + 1];
            int s = 0;
            for (int b = 0; b < buckets; b++)
            {
                uint first = (uint)b << shift;
                while (_cumulative[s + 1] <= first)
                {
                    s++;
                }

                built[b] = (ushort)s;
            }

            built[buckets] = (ushort)(_frequencies.Length - 1);
        }

        // Racing builders produce identical arrays; the first one published wins and the rest are dropped.
        return Interlocked.CompareExchange(ref _slotLookup, built, null) ?? built;
    }

    private static int DefaultScaleBits(int symbolCount)
    {
        int log2Ceil = symbolCount <= 1 ? 0 : 32 - int.LeadingZeroCount(symbolCount - 1);
        return Math.Min(MaxScaleBits, Math.Max(12, log2Ceil + 4));
    }
}
