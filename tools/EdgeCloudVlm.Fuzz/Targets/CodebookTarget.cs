using EdgeCloudVlm.Codec;
using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Codec.Frames;

namespace EdgeCloudVlm.Fuzz.Targets;

/// <summary>
/// The codebook loader: <see cref="CodebookFile.Load(ReadOnlyMemory{byte}, CodebookId?)"/> must refuse a bad file with
/// <see cref="InvalidDataException"/> (what the cloud's registry and the edge's pull expect) and nothing else, and a
/// file it accepts must make a codec that encodes and decodes a tensor without failing.
/// </summary>
public sealed class CodebookTarget : IFuzzTarget
{
    private const int ProbeTokens = 3;

    /// <inheritdoc />
    public string Name => "codebook";

    /// <inheritdoc />
    public FuzzOutcome Run(ReadOnlySpan<byte> input)
    {
        Codebook codebook;
        try
        {
            codebook = CodebookFile.Load(input.ToArray());
        }
        catch (InvalidDataException)
        {
            return FuzzOutcome.Rejected;
        }

        // A loaded codebook is trusted from here on: using it must not fail.
        var codec = new AlignedVqCodec(codebook);
        int dimension = codebook.Dimension;
        // A codebook with a position bias takes frames of its own token count only.
        int tokens = codebook.Positions > 0 ? codebook.Positions : ProbeTokens;
        var features = new float[tokens * dimension];
        for (int i = 0; i < features.Length; i++)
        {
            features[i] = (float)Math.Sin(i * 0.37) * (1 + (i % 7));
        }

        var frame = new byte[codec.GetMaxFrameLength(tokens, dimension)];
        int length = codec.Encode(features, tokens, dimension, frame);
        FrameStatus status = codec.Decode(frame.AsSpan(0, length), features, out _);
        if (status != FrameStatus.Ok)
        {
            throw new FuzzInvariantException($"a frame the loaded codebook encoded does not decode with it: {status}");
        }

        return FuzzOutcome.Accepted;
    }
}
