using System.Text;
using EdgeCloudVlm.Contracts.V1;
using EdgeCloudVlm.Edge.Pipeline;
using Google.Protobuf;

namespace EdgeCloudVlm.Edge.Spool;

/// <summary>
/// One spooled frame: the exact <see cref="Frame"/> message that goes on the wire plus what only the device needs
/// (where it came from, where to call back, when it was taken in). Stored as one spool record.
/// </summary>
public sealed record SpoolFrame
{
    private const byte FormatVersion = 1;
    private const byte FrameRecordType = 1;

    /// <summary>Position in the spool; assigned by <see cref="FrameSpool"/> on append and used for replay order.</summary>
    public long Sequence { get; init; }

    /// <summary>When the agent took the image in (agent clock).</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Where the image came from: a watched file's name, <c>http</c> or <c>ask</c>.</summary>
    public required string Source { get; init; }

    /// <summary>Where to POST the result, beside the configured sinks; empty for none.</summary>
    public string CallbackUrl { get; init; } = "";

    /// <summary>The wire message.</summary>
    public required Frame Frame { get; init; }

    /// <summary>Time the frame spent in each edge stage, reported with its result.</summary>
    public EncodeTimings Timings { get; init; }

    public string FrameId => Frame.FrameId;

    /// <summary>Bytes the payload (codec frame or fallback JPEG) occupies on the wire.</summary>
    public long PayloadBytes => Frame.PayloadCase switch
    {
        Frame.PayloadOneofCase.CodecFrame => Frame.CodecFrame.Length,
        Frame.PayloadOneofCase.FallbackJpeg => Frame.FallbackJpeg.Length,
        _ => 0,
    };

    public bool IsCodecFrame => Frame.PayloadCase == Frame.PayloadOneofCase.CodecFrame;

    internal byte[] Serialize()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(FormatVersion);
            writer.Write(FrameRecordType);
            writer.Write(Sequence);
            writer.Write(CreatedAt.ToUnixTimeMilliseconds());
            writer.Write(Source);
            writer.Write(CallbackUrl);
            writer.Write(Timings.Decode.Ticks);
            writer.Write(Timings.Preprocess.Ticks);
            writer.Write(Timings.Vision.Ticks);
            writer.Write(Timings.Encode.Ticks);
            byte[] frame = Frame.ToByteArray();
            writer.Write(frame.Length);
            writer.Write(frame);
        }

        return stream.ToArray();
    }

    /// <exception cref="InvalidDataException">A record that passed its checksum but is not a frame this build reads.</exception>
    internal static SpoolFrame Deserialize(ReadOnlySpan<byte> payload)
    {
        try
        {
            using var stream = new MemoryStream(payload.ToArray(), writable: false);
            using var reader = new BinaryReader(stream, Encoding.UTF8);
            byte version = reader.ReadByte();
            byte type = reader.ReadByte();
            if (version != FormatVersion || type != FrameRecordType)
            {
                throw new InvalidDataException($"spool record version {version} type {type} is not one this agent reads");
            }

            long sequence = reader.ReadInt64();
            long created = reader.ReadInt64();
            string source = reader.ReadString();
            string callback = reader.ReadString();
            var timings = new EncodeTimings(
                TimeSpan.FromTicks(reader.ReadInt64()), TimeSpan.FromTicks(reader.ReadInt64()), TimeSpan.FromTicks(reader.ReadInt64()), TimeSpan.FromTicks(reader.ReadInt64()));
            int length = reader.ReadInt32();
            Frame frame = Frame.Parser.ParseFrom(reader.ReadBytes(length));
            return new SpoolFrame
            {
                Sequence = sequence,
                CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(created),
                Source = source,
                CallbackUrl = callback,
                Frame = frame,
                Timings = timings,
            };
        }
        catch (Exception ex) when (ex is EndOfStreamException or InvalidProtocolBufferException or IOException or ArgumentException)
        {
            throw new InvalidDataException($"spool record does not parse: {ex.Message}", ex);
        }
    }
}
