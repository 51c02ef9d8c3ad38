using System.Buffers.Binary;
using System.IO.Hashing;
using CsCheck;
using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Codec.Frames;
using EdgeCloudVlm.Fuzz.Targets;
using MessagePack;

namespace EdgeCloudVlm.Fuzz.Inputs;

/// <summary>
/// CsCheck generators of hostile inputs per target. Each mixes three sources: havoc mutations of valid seeds; inputs
/// rebuilt so that the outer check passes (frames with a correct CRC, codebook bodies with a correct SHA-256, image
/// headers declaring any size) and the parser behind it is reached; and plain random bytes.
/// </summary>
public sealed class FuzzInputs
{
    private static readonly MessagePackSerializerOptions Untrusted =
        MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    private readonly IReadOnlyList<byte[]> _frames;
    private readonly IReadOnlyList<byte[]> _codebooks;
    private readonly IReadOnlyList<byte[]> _images;
    private readonly FuzzSubjects _subjects;

    /// <summary>Builds the generators over the subjects' seeds.</summary>
    public FuzzInputs(FuzzSubjects subjects)
    {
        _subjects = subjects ?? throw new ArgumentNullException(nameof(subjects));
        _frames = SeedCorpus.Frames(subjects);
        _codebooks = SeedCorpus.Codebooks(subjects);
        _images = SeedCorpus.Images(subjects);
    }

    /// <summary>Up to eight havoc mutations.</summary>
    public static Gen<Mutation[]> Mutations { get; } =
        Gen.Select(Gen.Enum<MutationKind>(), Gen.UInt, Gen.UInt, Gen.Byte, (k, p, l, v) => new Mutation(k, p, l, v)).Array[1, 8];

    /// <summary>The generator of the named target.</summary>
    public Gen<byte[]> For(string target) => target switch
    {
        "frame" => Frames,
        "codebook" => Codebooks,
        "image" => Images,
        _ => throw new ArgumentException($"unknown target '{target}' (frame, codebook, image)", nameof(target)),
    };

    /// <summary>Codec frames.</summary>
    public Gen<byte[]> Frames => Gen.Frequency(
        (4, Mutated(_frames)),
        (4, Mutated(_frames).Select(Reseal)),
        (3, SynthesizedFrame),
        (1, Gen.Byte.Array[0, 48]));

    /// <summary>Codebook files.</summary>
    public Gen<byte[]> Codebooks => Gen.Frequency(
        (2, Mutated(_codebooks)),
        (3, Gen.Int[0, _codebooks.Count - 1].Select(Mutations, (i, m) => Rewrap(Mutation.Apply(Body(_codebooks[i]), m)))),
        (5, Gen.Int[0, _codebooks.Count - 1].Select(DocumentEdit.Generator.Array[1, 3], (i, edits) => Edited(_codebooks[i], edits))),
        (1, Gen.Byte.Array[0, 64]));

    /// <summary>Encoded images.</summary>
    public Gen<byte[]> Images => Gen.Frequency(
        (4, Mutated(_images)),
        (5, ImageHeaders.Generator),
        (1, Gen.Byte.Array[0, 64]));

    private static Gen<byte[]> Mutated(IReadOnlyList<byte[]> seeds) =>
        Gen.Int[0, seeds.Count - 1].Select(Mutations, (i, m) => Mutation.Apply(seeds[i], m));

    /// <summary>Recomputes the trailing CRC-32, so that the mutation reaches the payload decoder.</summary>
    private static byte[] Reseal(byte[] frame)
    {
        if (frame.Length >= 8)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(frame.Length - 4), Crc32.HashToUInt32(frame.AsSpan(0, frame.Length - 4)));
        }

        return frame;
    }

    private Gen<byte[]> SynthesizedFrame => Gen.Select(
        Gen.Int[0, 15], Gen.Int[0, 15], Gen.Int[0, _subjects.Codebooks.Count], Gen.Frequency((3, Gen.Const(-1)), (1, Gen.Int[0, 70_000])),
        Gen.Frequency((3, Gen.Const(-1)), (1, Gen.Int[0, 70_000])), Gen.Byte.Array[0, 600], Gen.Int[0, 9],
        (kind, flags, book, tokens, dimension, payload, variant) =>
        {
            Codebook? codebook = book < _subjects.Codebooks.Count ? _subjects.Codebooks[book] : null;
            int t = tokens >= 0 ? tokens : codebook is null ? 2 : codebook.Dimension >= 64 ? 37 : 3;
            int d = dimension >= 0 ? dimension : codebook?.Dimension ?? 8;
            ulong tag = codebook?.Id.Tag ?? 0x0123456789ABCDEF;
            var frame = new List<byte> { FrameFormat.Magic0, FrameFormat.Magic1, FrameFormat.CurrentVersion, (byte)(kind | (flags << 4)) };
            if (kind == (int)FrameKind.VectorQuantized)
            {
                frame.AddRange(BitConverter.GetBytes(tag));
            }

            frame.AddRange(BitConverter.GetBytes((ushort)t));
            frame.AddRange(BitConverter.GetBytes((ushort)d));
            uint length = variant == 0 ? (uint)payload.Length + 7 : variant == 1 ? uint.MaxValue : (uint)payload.Length;
            for (; length >= 0x80; length >>= 7)
            {
                frame.Add((byte)(length | 0x80));
            }

            frame.Add((byte)length);
            frame.AddRange(payload);
            byte[] body = [.. frame];
            byte[] sealedFrame = new byte[body.Length + 4];
            body.CopyTo(sealedFrame, 0);
            uint crc = Crc32.HashToUInt32(body);
            BinaryPrimitives.WriteUInt32LittleEndian(sealedFrame.AsSpan(body.Length), variant == 2 ? crc ^ 1 : crc);
            return sealedFrame;
        });

    private static byte[] Body(byte[] file) => MessagePackSerializer.Deserialize<CodebookEnvelope>(file, Untrusted).Body;

    /// <summary>A well-formed envelope with the right hash around any body, as an attacker who knows the format writes.</summary>
    private static byte[] Rewrap(byte[] body) => MessagePackSerializer.Serialize(new CodebookEnvelope
    {
        Format = CodebookFile.FormatTag,
        Version = 1,
        Sha256 = CodebookId.Compute(body).Bytes.ToArray(),
        Body = body,
    }, Untrusted);

    private static byte[] Edited(byte[] file, DocumentEdit[] edits)
    {
        CodebookDocument document = MessagePackSerializer.Deserialize<CodebookDocument>(Body(file), Untrusted);
        foreach (DocumentEdit edit in edits)
        {
            edit.Apply(document);
        }

        return Rewrap(MessagePackSerializer.Serialize(document, Untrusted));
    }
}
