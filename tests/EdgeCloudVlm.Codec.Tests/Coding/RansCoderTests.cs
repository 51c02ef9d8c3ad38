using System.Buffers;
using CsCheck;
using EdgeCloudVlm.Codec.Coding;

namespace EdgeCloudVlm.Codec.Tests.Coding;

public sealed class RansCoderTests
{
    [Theory]
    [InlineData(2, 1)]
    [InlineData(256, 1000)]
    [InlineData(256, 4097)]
    [InlineData(4096, 3000)]
    [InlineData(65536, 3000)]
    public void RoundTrip_UniformRandomData_IsLossless(int alphabet, int count)
    {
        var random = new Random(alphabet + count);
        int[] symbols = RandomSymbols(random, count, alphabet);
        var table = FrequencyTable.FromCounts(new long[alphabet]);

        byte[] encoded = EncodeToArray(symbols, [table]);

        Assert.Equal(symbols, DecodeOrFail(encoded, [table], count));
    }

    [Theory]
    [InlineData(256, 0.3, null)]
    [InlineData(256, 0.05, null)]
    [InlineData(4096, 0.01, null)]
    [InlineData(65536, 0.2, 24)]
    [InlineData(2, 0.95, null)]
    public void Encode_GeometricData_BeatsBitPackingAndIsNearShannonBound(int alphabet, double p, int? scaleBits)
    {
        var random = new Random(42);
        int[] symbols = GeometricSymbols(random, 20_000, alphabet, p);
        var table = FrequencyTable.FromCounts(Histogram(symbols, alphabet), scaleBits);

        byte[] encoded = EncodeToArray(symbols, [table]);

        double shannonBits = 0;
        foreach (int s in symbols)
        {
            shannonBits += table.CostInBits(s);
        }

        int bitWidth = Math.Max(1, (int)Math.Ceiling(Math.Log2(alphabet)));
        int packedBytes = BitPacker.PackedByteCount(symbols.Length, Math.Min(bitWidth, 16));
        Assert.True(encoded.Length < packedBytes, $"rANS {encoded.Length} bytes vs bit-packed {packedBytes} bytes.");
        Assert.True(
            encoded.Length <= (shannonBits / 8 * 1.01) + 12,
            $"rANS {encoded.Length} bytes vs Shannon bound {shannonBits / 8:F1} bytes.");
        Assert.Equal(symbols, DecodeOrFail(encoded, [table], symbols.Length));
    }

    [Fact]
    public void RoundTrip_InterleavedTablesOfDifferentAlphabets_IsLossless()
    {
        var random = new Random(7);
        int[] alphabets = [2, 256, 4096, 65536];
        FrequencyTable[] tables = new FrequencyTable[alphabets.Length];
        int tokens = 1500;
        int[] symbols = new int[tokens * alphabets.Length];
        for (int g = 0; g < alphabets.Length; g++)
        {
            int[] column = GeometricSymbols(random, tokens, alphabets[g], 0.02 + (0.1 * g));
            for (int i = 0; i < tokens; i++)
            {
                symbols[(i * alphabets.Length) + g] = column[i];
            }

            tables[g] = FrequencyTable.FromCounts(Histogram(column, alphabets[g]));
        }

        // Trailing partial cycle: the layout must not assume whole tokens.
        int[] ragged = symbols[..^1];

        Assert.Equal(symbols, DecodeOrFail(EncodeToArray(symbols, tables), tables, symbols.Length));
        Assert.Equal(ragged, DecodeOrFail(EncodeToArray(ragged, tables), tables, ragged.Length));
    }

    [Fact]
    public void Decode_WithTablesInWrongOrder_DoesNotReproduceInput()
    {
        var random = new Random(11);
        var skewed = FrequencyTable.FromCounts(Histogram(GeometricSymbols(random, 5000, 256, 0.3), 256));
        var uniform = FrequencyTable.FromCounts(new long[256]);
        int[] symbols = RandomSymbols(random, 2000, 256);
        byte[] encoded = EncodeToArray(symbols, [skewed, uniform]);

        int[] decoded = new int[symbols.Length];
        OperationStatus status = RansCoder.Decode(encoded, [uniform, skewed], decoded);
        Assert.True(status == OperationStatus.InvalidData || !symbols.AsSpan().SequenceEqual(decoded));
    }

    [Fact]
    public void RoundTrip_EmptyInput_EncodesToNothing()
    {
        var table = FrequencyTable.FromCounts(new long[4]);
        Assert.Equal(OperationStatus.Done, RansCoder.Encode([], [table], [], out int written));
        Assert.Equal(0, written);
        Assert.Equal(0, RansCoder.MaxEncodedLength(0, [table]));
        Assert.Equal(OperationStatus.Done, RansCoder.Decode([], [table], []));
        Assert.Equal(OperationStatus.InvalidData, RansCoder.Decode([0], [table], []));
    }

    [Fact]
    public void Encode_RarestSymbolsOnly_FitsMaxEncodedLength()
    {
        var random = new Random(3);
        FrequencyTable[] tables =
        [
            FrequencyTable.FromCounts(Histogram(GeometricSymbols(random, 50_000, 65536, 0.5), 65536), 24),
            FrequencyTable.FromCounts([1_000_000, 1], 12),
            FrequencyTable.FromCounts(new long[4096]),
        ];

        // Each symbol is its table's least likely one, the worst case for the size bound.
        int[] symbols = new int[3001];
        for (int i = 0; i < symbols.Length; i++)
        {
            symbols[i] = ArgMin(tables[i % tables.Length].Frequencies);
        }

        int bound = RansCoder.MaxEncodedLength(symbols.Length, tables);
        byte[] destination = new byte[bound];
        Assert.Equal(OperationStatus.Done, RansCoder.Encode(symbols, tables, destination, out int written));
        Assert.InRange(written, 1, bound);
        Assert.Equal(symbols, DecodeOrFail(destination.AsSpan(0, written).ToArray(), tables, symbols.Length));
    }

    [Fact]
    public void Encode_DestinationOneByteShort_ReportsTooSmallAndWritesNothing()
    {
        var random = new Random(5);
        var table = FrequencyTable.FromCounts(new long[300]);
        int[] symbols = RandomSymbols(random, 777, 300);
        int needed = EncodeToArray(symbols, [table]).Length;

        for (int size = 0; size < needed; size += Math.Max(1, needed / 20))
        {
            Assert.Equal(OperationStatus.DestinationTooSmall, RansCoder.Encode(symbols, [table], new byte[size], out int written));
            Assert.Equal(0, written);
        }

        Assert.Equal(OperationStatus.DestinationTooSmall, RansCoder.Encode(symbols, [table], new byte[needed - 1], out int w));
        Assert.Equal(0, w);

        // A larger destination still yields the same stream at its start.
        byte[] roomy = new byte[needed + 50];
        Assert.Equal(OperationStatus.Done, RansCoder.Encode(symbols, [table], roomy, out int roomyWritten));
        Assert.Equal(needed, roomyWritten);
        Assert.Equal(symbols, DecodeOrFail(roomy.AsSpan(0, needed).ToArray(), [table], symbols.Length));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(-1)]
    public void Encode_SymbolOutsideAlphabet_Throws(int badSymbol)
    {
        var table = FrequencyTable.FromCounts(new long[4]);
        byte[] destination = new byte[64];
        Assert.Throws<ArgumentOutOfRangeException>(() => RansCoder.Encode([0, 1, badSymbol, 2], [table], destination, out _));
    }

    [Fact]
    public void EncodeAndDecode_NoTablesForSymbols_Throw()
    {
        Assert.Throws<ArgumentException>(() => RansCoder.Encode([1], [], new byte[16], out _));
        Assert.Throws<ArgumentException>(() => RansCoder.Decode(new byte[16], [], new int[1]));
    }

    [Fact]
    public void Decode_EveryTruncation_IsInvalidData()
    {
        var (encoded, tables, count) = SampleStream();
        int[] decoded = new int[count];
        for (int length = 0; length < encoded.Length; length++)
        {
            Assert.Equal(OperationStatus.InvalidData, RansCoder.Decode(encoded.AsSpan(0, length), tables, decoded));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(17)]
    public void Decode_TrailingBytes_IsInvalidData(int extra)
    {
        var (encoded, tables, count) = SampleStream();
        byte[] padded = new byte[encoded.Length + extra];
        encoded.CopyTo(padded, 0);
        Assert.Equal(OperationStatus.InvalidData, RansCoder.Decode(padded, tables, new int[count]));
    }

    [Fact]
    public void Decode_FewerOrMoreSymbolsThanEncoded_IsInvalidData()
    {
        var (encoded, tables, count) = SampleStream();
        Assert.Equal(OperationStatus.InvalidData, RansCoder.Decode(encoded, tables, new int[count - 1]));
        Assert.Equal(OperationStatus.InvalidData, RansCoder.Decode(encoded, tables, new int[count + 1]));
    }

    [Fact]
    public void Decode_SingleByteCorruptions_AreDetectedOrChangeOutput()
    {
        var (encoded, tables, count) = SampleStream();
        int[] original = DecodeOrFail(encoded, tables, count);
        var random = new Random(99);
        int[] decoded = new int[count];
        for (int trial = 0; trial < 500; trial++)
        {
            byte[] corrupted = (byte[])encoded.Clone();
            int at = random.Next(corrupted.Length);
            corrupted[at] ^= (byte)random.Next(1, 256);

            OperationStatus status = RansCoder.Decode(corrupted, tables, decoded);
            Assert.True(
                status == OperationStatus.InvalidData || (status == OperationStatus.Done && !original.AsSpan().SequenceEqual(decoded)),
                $"Corruption at byte {at} went unnoticed (status {status}).");
        }
    }

    [Fact]
    public void Decode_RandomBytes_NeverThrows()
    {
        FrequencyTable[] tables = TestTables();
        Gen.Byte.Array[0, 256].Sample(
            bytes =>
            {
                OperationStatus status = RansCoder.Decode(bytes, tables, new int[bytes.Length % 97]);
                Assert.True(status is OperationStatus.Done or OperationStatus.InvalidData);
            },
            iter: 3000);
    }

    [Fact]
    public void Decode_RandomBytesBehindValidState_NeverThrows()
    {
        // A plausible state gets past the header check, so the per-symbol paths see garbage words.
        FrequencyTable[] tables = TestTables();
        Gen.Select(Gen.ULong[1UL << 31, (1UL << 63) - 1], Gen.UInt.Array[0, 64], Gen.Int[1, 200]).Sample(
            (state, words, count) =>
            {
                byte[] source = new byte[8 + (words.Length * 4)];
                BitConverter.TryWriteBytes(source, state);
                for (int i = 0; i < words.Length; i++)
                {
                    BitConverter.TryWriteBytes(source.AsSpan(8 + (i * 4)), words[i]);
                }

                OperationStatus status = RansCoder.Decode(source, tables, new int[count]);
                Assert.True(status is OperationStatus.Done or OperationStatus.InvalidData);
            },
            iter: 3000);
    }

    [Fact]
    public void RoundTrip_RandomSymbolSequences_IsLossless()
    {
        FrequencyTable[] tables = TestTables();
        Gen.Int[0, int.MaxValue].Array[0, 300].Sample(
            raw =>
            {
                // Each position is folded into the alphabet of the table that codes it.
                int[] symbols = new int[raw.Length];
                for (int i = 0; i < symbols.Length; i++)
                {
                    symbols[i] = raw[i] % tables[i % tables.Length].SymbolCount;
                }

                byte[] encoded = EncodeToArray(symbols, tables);
                Assert.Equal(symbols, DecodeOrFail(encoded, tables, symbols.Length));
            },
            iter: 300);
    }

    [Fact]
    public void Decode_SharedTablesAcrossThreads_AllDecodeCorrectly()
    {
        var random = new Random(21);
        int[] symbols = GeometricSymbols(random, 4000, 1024, 0.05);

        // Fresh table so the lazily built slot lookup is raced for.
        var table = FrequencyTable.FromCounts(Histogram(symbols, 1024));
        byte[] encoded = EncodeToArray(symbols, [table]);

        int failures = 0;
        Parallel.For(0, 8, _ =>
        {
            int[] decoded = new int[symbols.Length];
            if (RansCoder.Decode(encoded, [table], decoded) != OperationStatus.Done || !symbols.AsSpan().SequenceEqual(decoded))
            {
                Interlocked.Increment(ref failures);
            }
        });

        Assert.Equal(0, failures);
    }

    private static (byte[] Encoded, FrequencyTable[] Tables, int Count) SampleStream()
    {
        FrequencyTable[] tables = TestTables();
        var random = new Random(1234);
        int[] symbols = new int[600];
        for (int i = 0; i < symbols.Length; i++)
        {
            symbols[i] = GeometricSymbols(random, 1, tables[i % tables.Length].SymbolCount, 0.1)[0];
        }

        return (EncodeToArray(symbols, tables), tables, symbols.Length);
    }

    private static FrequencyTable[] TestTables()
    {
        var random = new Random(77);
        return
        [
            FrequencyTable.FromCounts(Histogram(GeometricSymbols(random, 2000, 256, 0.1), 256)),
            FrequencyTable.FromCounts([3, 1]),
            FrequencyTable.FromCounts(Histogram(GeometricSymbols(random, 2000, 65536, 0.01), 65536)),
            FrequencyTable.FromCounts(new long[4096]),
        ];
    }

    private static byte[] EncodeToArray(int[] symbols, FrequencyTable[] tables)
    {
        byte[] buffer = new byte[RansCoder.MaxEncodedLength(symbols.Length, tables)];
        Assert.Equal(OperationStatus.Done, RansCoder.Encode(symbols, tables, buffer, out int written));
        return buffer.AsSpan(0, written).ToArray();
    }

    private static int[] DecodeOrFail(byte[] encoded, FrequencyTable[] tables, int count)
    {
        int[] decoded = new int[count];
        Assert.Equal(OperationStatus.Done, RansCoder.Decode(encoded, tables, decoded));
        return decoded;
    }

    private static int[] RandomSymbols(Random random, int count, int alphabet)
    {
        int[] symbols = new int[count];
        for (int i = 0; i < count; i++)
        {
            symbols[i] = random.Next(alphabet);
        }

        return symbols;
    }

    private static int[] GeometricSymbols(Random random, int count, int alphabet, double p)
    {
        int[] symbols = new int[count];
        double logQ = Math.Log(1 - p);
        for (int i = 0; i < count; i++)
        {
            double u = 1 - random.NextDouble();
            symbols[i] = (int)Math.Min(alphabet - 1, Math.Floor(Math.Log(u) / logQ));
        }

        return symbols;
    }

    private static long[] Histogram(int[] symbols, int alphabet)
    {
        long[] counts = new long[alphabet];
        foreach (int s in symbols)
        {
            counts[s]++;
        }

        return counts;
    }

    private static int ArgMin(ReadOnlySpan<uint> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] < values[best])
            {
                best = i;
            }
        }

        return best;
    }
}
