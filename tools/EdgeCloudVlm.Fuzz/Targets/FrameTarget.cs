using System.Buffers;
using EdgeCloudVlm.Codec;
using EdgeCloudVlm.Codec.Baselines;
using EdgeCloudVlm.Codec.Frames;

namespace EdgeCloudVlm.Fuzz.Targets;

/// <summary>
/// The codec frame parser as the cloud uses it: <see cref="FrameFormat.TryReadHeader"/>, then the decoder of the
/// frame's kind (AlignedVQ with each known codebook, or a scalar baseline). Promises checked: no exception, a header
/// that agrees with the input's length, and for AlignedVQ frames only finite values out.
/// </summary>
public sealed class FrameTarget(FuzzSubjects subjects) : IFuzzTarget
{
    // Frames with more tokens than this are refused before decoding (the cloud refuses any shape but its model's).
    private const int MaxDecodedValues = 1 << 20;

    private static readonly Float16Codec Float16 = new();
    private static readonly PerTokenIntCodec Int8 = new(8);
    private static readonly PerTokenIntCodec Int4 = new(4);

    /// <inheritdoc />
    public string Name => "frame";

    /// <inheritdoc />
    public FuzzOutcome Run(ReadOnlySpan<byte> input)
    {
        FrameStatus status = FrameFormat.TryReadHeader(input, out FrameHeader header);
        if (!Enum.IsDefined(status))
        {
            throw new FuzzInvariantException($"TryReadHeader returned undefined status {(int)status}");
        }

        if (status != FrameStatus.Ok)
        {
            return FuzzOutcome.Rejected;
        }

        if (header.FrameLength != input.Length || header.Tokens < 1 || header.Dimension < 1)
        {
            throw new FuzzInvariantException($"header {header} accepted for a {input.Length}-byte input");
        }

        long values = (long)header.Tokens * header.Dimension;
        if (values > MaxDecodedValues)
        {
            return FuzzOutcome.Rejected;
        }

        float[] buffer = ArrayPool<float>.Shared.Rent((int)values);
        try
        {
            Span<float> features = buffer.AsSpan(0, (int)values);
            if (header.Kind != FrameKind.VectorQuantized)
            {
                IFeatureCodec scalar = header.Kind switch
                {
                    FrameKind.Float16 => Float16,
                    FrameKind.Int8PerToken => Int8,
                    _ => Int4,
                };
                return Decode(scalar, input, features, requireFinite: false);
            }

            FuzzOutcome outcome = FuzzOutcome.Rejected;
            foreach (AlignedVqCodec codec in subjects.Codecs)
            {
                if (Decode(codec, input, features, requireFinite: true) == FuzzOutcome.Accepted)
                {
                    outcome = FuzzOutcome.Accepted;
                }
            }

            return outcome;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    private static FuzzOutcome Decode(IFeatureCodec codec, ReadOnlySpan<byte> input, Span<float> features, bool requireFinite)
    {
        FrameStatus status = codec.Decode(input, features, out FrameHeader header);
        if (!Enum.IsDefined(status))
        {
            throw new FuzzInvariantException($"{codec.Name} Decode returned undefined status {(int)status}");
        }

        if (status != FrameStatus.Ok)
        {
            return FuzzOutcome.Rejected;
        }

        Span<float> written = features[..(header.Tokens * header.Dimension)];
        if (requireFinite)
        {
            for (int i = 0; i < written.Length; i++)
            {
                if (!float.IsFinite(written[i]))
                {
                    throw new FuzzInvariantException($"{codec.Name} decoded a non-finite value at {i} ({written[i]})");
                }
            }
        }

        return FuzzOutcome.Accepted;
    }
}
