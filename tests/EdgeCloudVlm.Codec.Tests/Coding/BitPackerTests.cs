using EdgeCloudVlm.Codec.Coding;

namespace EdgeCloudVlm.Codec.Tests.Coding;

public sealed class BitPackerTests
{
    public static TheoryData<int, int> WidthsAndCounts()
    {
        var data = new TheoryData<int, int>();
        int[] counts = [0, 1, 2, 7, 8, 9, 31, 33, 577, 1000];
        for (int width = 1; width <= 16; width++)
        {
            foreach (int count in counts)
            {
                data.Add(width, count);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(WidthsAndCounts))]
    public void Pack_ThenUnpackFromExactlySizedSpan_RoundTrips(int bitWidth, int count)
    {
        var random = new Random((bitWidth * 10007) + count);
        int max = (1 << bitWidth) - 1;
        int[] values = new int[count];
        for (int i = 0; i < count; i++)
        {
            // Every third value is the extreme so the top bit of each width is exercised.
            values[i] = (i % 3) switch
            {
                0 => max,
                1 => random.Next(max + 1),
                _ => i % 2 == 0 ? 0 : random.Next(max + 1),
            };
        }

        int byteCount = BitPacker.PackedByteCount(count, bitWidth);
        byte[] packed = new byte[byteCount];
        BitPacker.Pack(values, bitWidth, packed);

        int[] unpacked = new int[count];
        BitPacker.Unpack(packed, bitWidth, unpacked);
        Assert.Equal(values, unpacked);
    }

    [Theory]
    [MemberData(nameof(WidthsAndCounts))]
    public void Pack_AllOnes_SetsExactlyTheValueBitsAndZeroPads(int bitWidth, int count)
    {
        int[] values = new int[count];
        Array.Fill(values, (1 << bitWidth) - 1);
        int byteCount = BitPacker.PackedByteCount(count, bitWidth);

        // Guard byte past the packed region must survive untouched.
        byte[] packed = new byte[byteCount + 1];
        packed[^1] = 0xA5;
        BitPacker.Pack(values, bitWidth, packed);

        long totalBits = (long)count * bitWidth;
        for (long bit = 0; bit < (long)byteCount * 8; bit++)
        {
            int expected = bit < totalBits ? 1 : 0;
            Assert.Equal(expected, (packed[bit >> 3] >> (int)(bit & 7)) & 1);
        }

        Assert.Equal(0xA5, packed[^1]);
    }

    [Fact]
    public void Pack_KnownValues_ProducesLsbFirstLayout()
    {
        // 3-bit values 5 (101), 3 (011), 7 (111): stream bits 101 110 111 -> byte0 = 0b11_011_101, byte1 = 0b0000000_1.
        byte[] packed = new byte[BitPacker.PackedByteCount(3, 3)];
        BitPacker.Pack([5, 3, 7], 3, packed);
        Assert.Equal(new byte[] { 0b1101_1101, 0b0000_0001 }, packed);
    }

    [Theory]
    [InlineData(0, 5, 0)]
    [InlineData(1, 1, 1)]
    [InlineData(8, 1, 1)]
    [InlineData(9, 1, 2)]
    [InlineData(7, 3, 3)]
    [InlineData(577, 10, 722)]
    [InlineData(577, 16, 1154)]
    [InlineData(3, 7, 3)]
    [InlineData(5, 13, 9)]
    public void PackedByteCount_Values_MatchesCeilOfBitsOverEight(int count, int bitWidth, int expected)
    {
        Assert.Equal(expected, BitPacker.PackedByteCount(count, bitWidth));
    }

    [Fact]
    public void PackedByteCount_AllWidthsAndSmallCounts_MatchesFormula()
    {
        for (int width = 1; width <= 16; width++)
        {
            for (int count = 0; count < 100; count++)
            {
                Assert.Equal(((count * width) + 7) / 8, BitPacker.PackedByteCount(count, width));
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(17)]
    [InlineData(-1)]
    public void PackedByteCount_InvalidWidth_Throws(int bitWidth)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => BitPacker.PackedByteCount(1, bitWidth));
    }

    [Fact]
    public void PackedByteCount_NegativeOrHugeCount_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => BitPacker.PackedByteCount(-1, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => BitPacker.PackedByteCount(int.MaxValue, 16));
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(5, 32)]
    [InlineData(8, 256)]
    [InlineData(16, 65536)]
    [InlineData(4, -1)]
    [InlineData(8, -1)]
    [InlineData(16, -1)]
    public void Pack_ValueOutOfRange_Throws(int bitWidth, int badValue)
    {
        int[] values = [0, 1, badValue];
        byte[] packed = new byte[BitPacker.PackedByteCount(values.Length, bitWidth)];
        Assert.Throws<ArgumentOutOfRangeException>(() => BitPacker.Pack(values, bitWidth, packed));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(16)]
    public void Pack_DestinationTooSmall_Throws(int bitWidth)
    {
        int[] values = new int[10];
        byte[] packed = new byte[BitPacker.PackedByteCount(values.Length, bitWidth) - 1];
        Assert.Throws<ArgumentException>(() => BitPacker.Pack(values, bitWidth, packed));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(16)]
    public void Unpack_SourceTooSmall_Throws(int bitWidth)
    {
        int[] values = new int[10];
        byte[] packed = new byte[BitPacker.PackedByteCount(values.Length, bitWidth) - 1];
        Assert.Throws<ArgumentException>(() => BitPacker.Unpack(packed, bitWidth, values));
    }

    [Fact]
    public void Unpack_LongerSource_IgnoresBytesPastPackedRegion()
    {
        int[] values = [1, 2, 3, 4, 5];
        byte[] packed = new byte[BitPacker.PackedByteCount(values.Length, 5) + 4];
        BitPacker.Pack(values, 5, packed);
        packed.AsSpan(packed.Length - 4).Fill(0xFF);

        int[] unpacked = new int[values.Length];
        BitPacker.Unpack(packed, 5, unpacked);
        Assert.Equal(values, unpacked);
    }
}
