using EdgeCloudVlm.Codec.Coding;

namespace EdgeCloudVlm.Codec.Tests.Coding;

public sealed class FrequencyTableTests
{
    [Theory]
    [InlineData(2, 12)]
    [InlineData(256, 12)]
    [InlineData(257, 13)]
    [InlineData(4096, 16)]
    [InlineData(65536, 20)]
    public void FromCounts_DefaultScale_FollowsRule(int symbolCount, int expectedScaleBits)
    {
        var table = FrequencyTable.FromCounts(new long[symbolCount]);
        Assert.Equal(expectedScaleBits, table.ScaleBits);
        Assert.Equal(symbolCount, table.SymbolCount);
    }

    [Theory]
    [InlineData(2, null)]
    [InlineData(3, null)]
    [InlineData(256, null)]
    [InlineData(1000, 10)]
    [InlineData(4096, 12)]
    [InlineData(65536, null)]
    [InlineData(65536, 24)]
    public void FromCounts_SkewedAndSparseCounts_SumsToScaleWithAllPositive(int symbolCount, int? scaleBits)
    {
        var random = new Random(symbolCount);
        long[] counts = new long[symbolCount];
        for (int s = 0; s < symbolCount; s++)
        {
            // Mostly zeros plus a few huge counts stresses both the raise-to-one and the shrink paths.
            counts[s] = random.Next(4) == 0 ? (long)(Math.Pow(2, random.Next(40)) * random.NextDouble()) : 0;
        }

        counts[0] = long.MaxValue / 4;
        AssertNormalized(FrequencyTable.FromCounts(counts, scaleBits));
    }

    [Fact]
    public void FromCounts_AllZero_IsUniform()
    {
        var table = FrequencyTable.FromCounts(new long[3], 12);
        AssertNormalized(table);
        Assert.Equal(new uint[] { 1366, 1365, 1365 }, table.Frequencies.ToArray());
    }

    [Fact]
    public void FromCounts_ExactPowerOfTwoProportions_AreReproduced()
    {
        var table = FrequencyTable.FromCounts([2, 1, 1, 0], 4);
        AssertNormalized(table);

        // The zero-count symbol gets its mandatory slot from the largest entry.
        Assert.Equal(new uint[] { 7, 4, 4, 1 }, table.Frequencies.ToArray());
    }

    [Fact]
    public void FromCounts_ScaleEqualToAlphabet_GivesEverySymbolOne()
    {
        var table = FrequencyTable.FromCounts([1000, 0, 0, 0, 0, 0, 0, 0], 3);
        Assert.Equal(new uint[] { 1, 1, 1, 1, 1, 1, 1, 1 }, table.Frequencies.ToArray());
    }

    [Fact]
    public void FromCounts_GeometricCounts_CostCloseToEmpiricalEntropy()
    {
        // All counts positive: zero-count symbols would still cost their mandatory slot, which no quantizer can avoid.
        long[] counts = new long[64];
        for (int s = 0; s < counts.Length; s++)
        {
            counts[s] = 1 + (long)(1_000_000 * Math.Pow(0.8, s));
        }

        var table = FrequencyTable.FromCounts(counts);
        double total = 0;
        double entropyBits = 0;
        double tableBits = 0;
        foreach (long c in counts)
        {
            total += c;
        }

        for (int s = 0; s < counts.Length; s++)
        {
            if (counts[s] > 0)
            {
                entropyBits += counts[s] * Math.Log2(total / counts[s]);
                tableBits += counts[s] * table.CostInBits(s);
            }
        }

        Assert.True(tableBits >= entropyBits - 1e-6, "No code can beat the empirical entropy of its own data.");
        Assert.True(tableBits <= entropyBits * 1.005, $"Table cost {tableBits:F0} bits vs entropy {entropyBits:F0} bits.");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(65537)]
    public void FromCounts_BadAlphabetSize_Throws(int symbolCount)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FrequencyTable.FromCounts(new long[symbolCount]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(25)]
    [InlineData(2)]
    public void FromCounts_BadScale_Throws(int scaleBits)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FrequencyTable.FromCounts(new long[5], scaleBits));
    }

    [Fact]
    public void FromCounts_NegativeCount_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FrequencyTable.FromCounts([5, -1, 3]));
    }

    [Fact]
    public void FromFrequencies_ValidTable_RoundTripsFrequencies()
    {
        uint[] frequencies = [1, 2, 5, 8];
        var table = FrequencyTable.FromFrequencies(frequencies, 4);
        Assert.Equal(4, table.ScaleBits);
        Assert.Equal(frequencies, table.Frequencies.ToArray());

        // The table must not alias the caller's array.
        frequencies[0] = 99;
        Assert.Equal(1u, table.Frequencies[0]);
    }

    [Fact]
    public void FromFrequencies_SumTooLow_ThrowsInvalidData()
    {
        var error = Assert.Throws<InvalidDataException>(() => FrequencyTable.FromFrequencies([1, 2, 4, 8], 4));
        Assert.Contains("15", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromFrequencies_SumTooHigh_ThrowsInvalidData()
    {
        Assert.Throws<InvalidDataException>(() => FrequencyTable.FromFrequencies([8, 9], 4));
    }

    [Fact]
    public void FromFrequencies_SumOverflowingUInt_ThrowsInvalidData()
    {
        // Wraps to exactly 1 << 4 in 32-bit arithmetic; a 64-bit sum must still reject it.
        Assert.Throws<InvalidDataException>(() => FrequencyTable.FromFrequencies([uint.MaxValue, 17], 4));
    }

    [Fact]
    public void FromFrequencies_ZeroEntry_ThrowsInvalidData()
    {
        var error = Assert.Throws<InvalidDataException>(() => FrequencyTable.FromFrequencies([8, 0, 8], 4));
        Assert.Contains("entry 1", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(25)]
    public void FromFrequencies_BadScale_ThrowsInvalidData(int scaleBits)
    {
        Assert.Throws<InvalidDataException>(() => FrequencyTable.FromFrequencies([1, 1], scaleBits));
    }

    [Fact]
    public void FromFrequencies_BadLength_ThrowsInvalidData()
    {
        Assert.Throws<InvalidDataException>(() => FrequencyTable.FromFrequencies([16], 4));
        uint[] tooMany = new uint[65537];
        Array.Fill(tooMany, 1u);
        Assert.Throws<InvalidDataException>(() => FrequencyTable.FromFrequencies(tooMany, 17));
    }

    [Fact]
    public void CostInBits_KnownTable_IsLog2OfTotalOverFrequency()
    {
        var table = FrequencyTable.FromFrequencies([1, 2, 5, 8], 4);
        Assert.Equal(4.0, table.CostInBits(0), 12);
        Assert.Equal(3.0, table.CostInBits(1), 12);
        Assert.Equal(Math.Log2(16.0 / 5.0), table.CostInBits(2), 12);
        Assert.Equal(1.0, table.CostInBits(3), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => table.CostInBits(4));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.CostInBits(-1));
    }

    [Theory]
    [InlineData(3, 12)]
    [InlineData(256, 12)]
    [InlineData(4096, 16)]
    [InlineData(3, 20)]
    [InlineData(1000, 18)]
    [InlineData(65536, 17)]
    public void SymbolForSlot_EverySlot_MapsToItsOwner(int symbolCount, int scaleBits)
    {
        var table = FrequencyTable.FromCounts(SkewedCounts(symbolCount), scaleBits);
        int symbol = 0;
        uint end = table.Frequencies[0];
        for (uint slot = 0; slot < 1u << scaleBits; slot++)
        {
            while (slot >= end)
            {
                end += table.Frequencies[++symbol];
            }

            if (table.SymbolForSlot(slot) != symbol)
            {
                Assert.Fail($"Slot {slot} decoded as {table.SymbolForSlot(slot)}, owner is {symbol}.");
            }
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(5000)]
    [InlineData(65536)]
    public void SymbolForSlot_MaxScale_MapsRangeEdgesToOwner(int symbolCount)
    {
        var table = FrequencyTable.FromCounts(SkewedCounts(symbolCount), FrequencyTable.MaxScaleBits);
        uint start = 0;
        for (int s = 0; s < symbolCount; s++)
        {
            uint last = start + table.Frequencies[s] - 1;
            if (table.SymbolForSlot(start) != s || table.SymbolForSlot(last) != s || table.SymbolForSlot((start + last) / 2) != s)
            {
                Assert.Fail($"Range [{start}, {last}] of symbol {s} maps elsewhere.");
            }

            start = last + 1;
        }
    }

    private static long[] SkewedCounts(int symbolCount)
    {
        // Heavy head, zero-count gaps and a long tail give ranges from one slot to most of the table.
        var random = new Random(symbolCount);
        long[] counts = new long[symbolCount];
        for (int s = 0; s < symbolCount; s++)
        {
            counts[s] = s % 7 == 3 ? 0 : (long)(1e9 * Math.Pow(0.6, s % 50) * random.NextDouble());
        }

        return counts;
    }

    private static void AssertNormalized(FrequencyTable table)
    {
        ulong sum = 0;
        foreach (uint f in table.Frequencies)
        {
            Assert.True(f >= 1, "Every symbol needs a non-zero frequency.");
            sum += f;
        }

        Assert.Equal(1UL << table.ScaleBits, sum);
        Assert.Equal(table.SymbolCount, table.Frequencies.Length);
    }
}
