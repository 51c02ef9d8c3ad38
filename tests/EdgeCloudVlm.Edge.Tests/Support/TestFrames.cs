using EdgeCloudVlm.Contracts.V1;
using EdgeCloudVlm.Edge.Spool;
using Google.Protobuf;

namespace EdgeCloudVlm.Edge.Tests.Support;

internal static class TestFrames
{
    public static readonly DateTimeOffset Created = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A frame whose payload bytes are derived from its id, so a read-back can be checked byte for byte.</summary>
    public static SpoolFrame Make(string id, int payloadBytes = 200, string question = "what color is the square?", string callback = "") => new()
    {
        CreatedAt = Created,
        Source = id + ".png",
        CallbackUrl = callback,
        Frame = new Frame
        {
            FrameId = id,
            DeviceId = "device-1",
            ModelId = "shapes-vqa",
            Question = question,
            CodebookId = new string('a', 64),
            CodecFrame = ByteString.CopyFrom(Payload(id, payloadBytes)),
            Fp16EquivalentBytes = 9472,
        },
    };

    public static byte[] Payload(string id, int length)
    {
        var bytes = new byte[length];
        int seed = StringComparer.Ordinal.GetHashCode(id);
        var random = new Random(seed);
        random.NextBytes(bytes);
        return bytes;
    }

    public static SpoolOptions Options(string directory, long maxBytes = 1 << 30, int segmentBytes = 4 * 1024 * 1024, SpoolFullPolicy policy = SpoolFullPolicy.RefuseNew) => new()
    {
        Directory = directory,
        MaxBytes = maxBytes,
        SegmentBytes = segmentBytes,
        FullPolicy = policy,
    };
}
