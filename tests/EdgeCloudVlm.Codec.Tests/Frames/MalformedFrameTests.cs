using System.Buffers.Binary;
using CsCheck;
using EdgeCloudVlm.Codec.Frames;

namespace EdgeCloudVlm.Codec.Tests.Frames;

public sealed class MalformedFrameTests(CodecFixture fixture) : IClassFixture<CodecFixture>
{
    private const int Tokens = CodecFixture.Tokens;
    private const int Dimension = CodecFixture.Dimension;

    public enum Damage
    {
        Empty,
        OneByte,
        HeaderCut,
        PayloadCut,
        ChecksumCut,
        WrongMagic,
        FutureVersion,
        UnknownKind,
        UnknownFlag,
        ZeroTokens,
        WrongDimension,
        OtherCodebook,
        StatisticsFlagMissing,
        FlippedPayloadBit,
        FlippedChecksumBit,
        TrailingByte,
        PayloadLengthLies,
        IndexBeyondCodebook,
        CorruptEntropyStream,
        SmallDestination,
    }

    public static TheoryData<Damage, FrameStatus> Cases => new()
    {
        { Damage.Empty, FrameStatus.Truncated },
        { Damage.OneByte, FrameStatus.Truncated },
        { Damage.HeaderCut, FrameStatus.Truncated },
        { Damage.PayloadCut, FrameStatus.Truncated },
        { Damage.ChecksumCut, FrameStatus.Truncated },
        { Damage.WrongMagic, FrameStatus.BadMagic },
        { Damage.FutureVersion, FrameStatus.UnsupportedVersion },
        { Damage.UnknownKind, FrameStatus.UnknownKind },
        { Damage.UnknownFlag, FrameStatus.UnknownKind },
        { Damage.ZeroTokens, FrameStatus.ShapeMismatch },
        { Damage.WrongDimension, FrameStatus.ShapeMismatch },
        { Damage.OtherCodebook, FrameStatus.CodebookMismatch },
        { Damage.StatisticsFlagMissing, FrameStatus.CodebookMismatch },
        { Damage.FlippedPayloadBit, FrameStatus.ChecksumMismatch },
        { Damage.FlippedChecksumBit, FrameStatus.ChecksumMismatch },
        { Damage.TrailingByte, FrameStatus.TrailingBytes },
        { Damage.PayloadLengthLies, FrameStatus.CorruptPayload },
        { Damage.IndexBeyondCodebook, FrameStatus.IndexOutOfRange },
        { Damage.CorruptEntropyStream, FrameStatus.CorruptPayload },
        { Damage.SmallDestination, FrameStatus.DestinationTooSmall },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decode_DamagedFrame_ReturnsItsOwnStatus(Damage damage, FrameStatus expected)
    {
        var packed = new AlignedVqCodec(fixture.Small, new AlignedVqCodecOptions { EntropyCoding = false });
        var coded = new AlignedVqCodec(fixture.Small, new AlignedVqCodecOptions { EntropyCoding = true });
        var codec = damage == Damage.CorruptEntropyStream ? coded : packed;
        var frame = AlignedVqCodecTests.Encode(codec, fixture.Evaluation);
        var destination = new float[Tokens * Dimension];
        Assert.Equal(FrameStatus.Ok, codec.Decode(frame, destination, out var header));

        var damaged = Apply(damage, frame, header, ref destination);

        Assert.Equal(expected, codec.Decode(damaged, destination, out _));
    }

    [Fact]
    public void Decode_OtherCodebookOfSameShape_IsRejectedNotDecoded()
    {
        var frame = AlignedVqCodecTests.Encode(new AlignedVqCodec(fixture.Aligned), fixture.Evaluation);
        var retrained = new AlignedVqCodec(fixture.Train(new AlignedVqConfig { ProjectionDimension = 32, Groups = 2, Stages = 2, CodebookSize = 64 }, seed: 99));

        Assert.Equal(FrameStatus.CodebookMismatch, retrained.Decode(frame, new float[Tokens * Dimension], out _));
    }

    [Fact]
    public void Decode_EveryPrefix_IsTruncatedWithoutThrowing()
    {
        var codec = new AlignedVqCodec(fixture.Aligned);
        var frame = AlignedVqCodecTests.Encode(codec, fixture.Evaluation);
        var destination = new float[Tokens * Dimension];
        for (var length = 0; length < frame.Length; length++)
        {
            Assert.Equal(FrameStatus.Truncated, codec.Decode(frame.AsSpan(0, length), destination, out _));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Decode_RandomMutations_NeverThrowAndNeverAccept(bool entropyCoding)
    {
        var codec = new AlignedVqCodec(fixture.Aligned, new AlignedVqCodecOptions { EntropyCoding = entropyCoding });
        var frame = AlignedVqCodecTests.Encode(codec, fixture.Evaluation);
        var destination = new float[Tokens * Dimension];
        var mutation = Gen.Select(Gen.Int[0, frame.Length - 1], Gen.Byte[1, 255], Gen.Int[0, 3], Gen.Int[0, frame.Length]);

        mutation.Sample((position, xor, kind, cut) =>
        {
            var mutated = Mutate(frame, position, xor, kind, cut);
            if (mutated.AsSpan().SequenceEqual(frame))
            {
                return;
            }

            // CRC-32 catches every 1-byte change and every truncation here; a random false accept is a 2^-32 event.
            var status = codec.Decode(mutated, destination, out _);
            Assert.NotEqual(FrameStatus.Ok, status);
        }, iter: 3000);
    }

    [Fact]
    public void Decode_RandomBytes_NeverThrow()
    {
        var codec = new AlignedVqCodec(fixture.Aligned);
        var destination = new float[Tokens * Dimension];
        Gen.Byte.Array[0, 600].Sample(bytes =>
        {
            var status = codec.Decode(bytes, destination, out _);
            Assert.NotEqual(FrameStatus.Ok, status);
        }, iter: 3000);
    }

    private static byte[] Mutate(byte[] frame, int position, byte xor, int kind, int cut)
    {
        switch (kind)
        {
            case 0:
                var flipped = (byte[])frame.Clone();
                flipped[position] ^= xor;
                return flipped;
            case 1:
                return frame.AsSpan(0, Math.Min(cut, frame.Length - 1)).ToArray();
            case 2:
                return [.. frame, xor];
            default:
                var removed = new List<byte>(frame);
                removed.RemoveAt(position);
                return [.. removed];
        }
    }

    private byte[] Apply(Damage damage, byte[] frame, FrameHeader header, ref float[] destination)
    {
        var copy = (byte[])frame.Clone();
        var dimensionOffset = header.PayloadOffset - 1 - 2;
        switch (damage)
        {
            case Damage.Empty:
                return [];
            case Damage.OneByte:
                return [FrameFormat.Magic0];
            case Damage.HeaderCut:
                return copy[..(header.PayloadOffset - 2)];
            case Damage.PayloadCut:
                return copy[..(header.PayloadOffset + (header.PayloadLength / 2))];
            case Damage.ChecksumCut:
                return copy[..^1];
            case Damage.WrongMagic:
                copy[0] = 0x00;
                return copy;
            case Damage.FutureVersion:
                copy[2] = FrameFormat.CurrentVersion + 1;
                return Reseal(copy);
            case Damage.UnknownKind:
                copy[3] = (byte)((copy[3] & 0xF0) | 0x0F);
                return Reseal(copy);
            case Damage.UnknownFlag:
                copy[3] |= 0x80;
                return Reseal(copy);
            case Damage.ZeroTokens:
                BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(dimensionOffset - 2), 0);
                return Reseal(copy);
            case Damage.WrongDimension:
                BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(dimensionOffset), Dimension + 1);
                return Reseal(copy);
            case Damage.OtherCodebook:
                copy[4] ^= 0x01;
                return Reseal(copy);
            case Damage.StatisticsFlagMissing:
                copy[3] &= unchecked((byte)~((byte)FrameFlags.TokenStatistics << 4));
                return Reseal(copy);
            case Damage.FlippedPayloadBit:
                copy[header.PayloadOffset + 3] ^= 0x10;
                return copy;
            case Damage.FlippedChecksumBit:
                copy[^2] ^= 0x01;
                return copy;
            case Damage.TrailingByte:
                return [.. copy, 0];
            case Damage.PayloadLengthLies:
                // A well-formed, checksummed frame whose payload is one byte short of what its shape needs.
                var shorter = new byte[copy.Length - 1];
                copy.AsSpan(0, header.PayloadOffset - 1).CopyTo(shorter);
                shorter[header.PayloadOffset - 1] = (byte)(header.PayloadLength - 1);
                copy.AsSpan(header.PayloadOffset, header.PayloadLength - 1).CopyTo(shorter.AsSpan(header.PayloadOffset));
                return Reseal(shorter);
            case Damage.IndexBeyondCodebook:
                // Mean and RMS columns come first; the first index of the 5-centroid codebook gets the value 7.
                var indexColumn = header.PayloadOffset + ColumnBytes(fixture.Small.Document.Alignment.RelativeMeanLevels.Length)
                    + ColumnBytes(fixture.Small.Document.Alignment.Log2RmsLevels.Length);
                copy[indexColumn] |= 0x07;
                return Reseal(copy);
            case Damage.CorruptEntropyStream:
                copy[header.PayloadOffset + header.PayloadLength - 1] ^= 0xFF;
                return Reseal(copy);
            case Damage.SmallDestination:
                destination = new float[(Tokens * Dimension) - 1];
                return copy;
            default:
                throw new ArgumentOutOfRangeException(nameof(damage));
        }
    }

    private static int ColumnBytes(int symbols) => EdgeCloudVlm.Codec.Coding.BitPacker.PackedByteCount(Tokens, EdgeCloudVlm.Codec.Codebooks.Codebook.BitWidth(symbols));

    private static byte[] Reseal(byte[] frame)
    {
        FrameFormat.Seal(frame, frame.Length - FrameFormat.ChecksumLength);
        return frame;
    }
}
