using EdgeCloudVlm.Contracts.V1;

namespace EdgeCloudVlm.Contracts.Tests;

public sealed class IngestMessagesTests
{
    [Fact]
    public void EdgeMessage_Hello_RoundTripsWithKind()
    {
        var message = new EdgeMessage
        {
            Hello = new Hello
            {
                DeviceId = "jetson-07",
                AgentVersion = "1.2.3",
                ModelIds = { "demo-vqa" },
                CodebookIds = { Samples.CodebookId },
                MaxInFlight = 8,
            },
        };

        EdgeMessage parsed = ProtoRoundTrip.Binary(message);

        Assert.Equal(EdgeMessage.KindOneofCase.Hello, parsed.KindCase);
        Assert.Equal(message, parsed);
        Assert.Equal(8u, parsed.Hello.MaxInFlight);
    }

    [Fact]
    public void EdgeMessage_FrameWithCodecPayload_RoundTripsAllFields()
    {
        var message = new EdgeMessage
        {
            Frame = new Frame
            {
                FrameId = "jetson-07/000042",
                DeviceId = "jetson-07",
                ModelId = "demo-vqa",
                CodebookId = Samples.CodebookId,
                CodecFrame = Samples.Bytes(865, 7),
                Question = "How many red squares are there?",
                Parameters = Samples.Parameters(),
                CapturedAt = Samples.Time(5),
                Fp16EquivalentBytes = 577UL * 1024 * 2,
                TraceContext =
                {
                    ["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                    ["tracestate"] = "edge=1",
                },
            },
        };

        EdgeMessage parsed = ProtoRoundTrip.Binary(message);

        Assert.Equal(message, parsed);
        Assert.Equal(Frame.PayloadOneofCase.CodecFrame, parsed.Frame.PayloadCase);
        Assert.Equal(865, parsed.Frame.CodecFrame.Length);
        Assert.True(parsed.Frame.Parameters.HasTemperature);
        Assert.Equal(0f, parsed.Frame.Parameters.Temperature);
        Assert.Equal(2, parsed.Frame.TraceContext.Count);
    }

    [Fact]
    public void EdgeMessage_FrameWithFallbackJpeg_KeepsPayloadCaseAndNoCodecFrame()
    {
        var message = new EdgeMessage
        {
            Frame = new Frame
            {
                FrameId = "f-1",
                DeviceId = "d",
                ModelId = "demo-vqa",
                FallbackJpeg = Samples.Bytes(4096, 1),
                Question = "What colour is the circle?",
            },
        };

        EdgeMessage parsed = ProtoRoundTrip.Binary(message);

        Assert.Equal(message, parsed);
        Assert.Equal(Frame.PayloadOneofCase.FallbackJpeg, parsed.Frame.PayloadCase);
        Assert.True(parsed.Frame.CodecFrame.IsEmpty);
        Assert.Null(parsed.Frame.Parameters);
    }

    [Fact]
    public void Frame_SettingFallbackAfterCodecFrame_ReplacesPayload()
    {
        var frame = new Frame { CodecFrame = Samples.Bytes(10, 0) };

        frame.FallbackJpeg = Samples.Bytes(20, 0);

        Assert.Equal(Frame.PayloadOneofCase.FallbackJpeg, frame.PayloadCase);
        Assert.True(frame.CodecFrame.IsEmpty);
    }

    [Fact]
    public void EdgeMessage_AckAndPing_RoundTrip()
    {
        var ack = new EdgeMessage { Ack = new Ack { FrameIds = { "a", "b", "c" } } };
        var ping = new EdgeMessage { Ping = new Ping { Nonce = ulong.MaxValue, SentAt = Samples.Time(9) } };

        EdgeMessage parsedAck = ProtoRoundTrip.Binary(ack);
        EdgeMessage parsedPing = ProtoRoundTrip.Binary(ping);

        Assert.Equal(EdgeMessage.KindOneofCase.Ack, parsedAck.KindCase);
        Assert.Equal(ack.Ack.FrameIds, parsedAck.Ack.FrameIds);
        Assert.Equal(3, parsedAck.Ack.FrameIds.Count);
        Assert.Equal(EdgeMessage.KindOneofCase.Ping, parsedPing.KindCase);
        Assert.Equal(ping, parsedPing);
    }

    [Fact]
    public void CloudEvent_EveryKind_RoundTripsWithFrameId()
    {
        CloudEvent[] events =
        [
            new() { FrameId = "f-1", Accepted = new Accepted { QueuePosition = 3, Duplicate = true } },
            new() { FrameId = "f-1", Delta = new TokenDelta { Text = " four", TokenIndex = 2 } },
            new()
            {
                FrameId = "f-1",
                Final = new Final
                {
                    Text = "There are four.",
                    FinishReason = FinishReason.Stop,
                    Usage = Samples.Usage(),
                    Timings = Samples.Timings(),
                    BytesReceived = 865,
                },
            },
            new() { FrameId = "f-2", Error = Samples.Error() },
            new() { HelloAck = new HelloAck { SessionId = "s-9", MaxFrameBytes = 1 << 20, MaxInFlight = 4 } },
            new() { Pong = new Pong { Nonce = 7, PingSentAt = Samples.Time(1), ServerTime = Samples.Time(2) } },
        ];
        CloudEvent.KindOneofCase[] expectedKinds =
        [
            CloudEvent.KindOneofCase.Accepted,
            CloudEvent.KindOneofCase.Delta,
            CloudEvent.KindOneofCase.Final,
            CloudEvent.KindOneofCase.Error,
            CloudEvent.KindOneofCase.HelloAck,
            CloudEvent.KindOneofCase.Pong,
        ];

        for (int i = 0; i < events.Length; i++)
        {
            CloudEvent parsed = ProtoRoundTrip.Binary(events[i]);
            Assert.Equal(events[i], parsed);
            Assert.Equal(expectedKinds[i], parsed.KindCase);
            Assert.Equal(events[i].FrameId, parsed.FrameId);
        }
    }

    [Fact]
    public void CloudEvent_FinalThroughJson_KeepsDurationsExact()
    {
        var message = new CloudEvent
        {
            FrameId = "f-1",
            Final = new Final { Text = "yes", Timings = Samples.Timings(), Usage = Samples.Usage() },
        };

        CloudEvent parsed = ProtoRoundTrip.Json(message);

        Assert.Equal(message, parsed);
        Assert.Equal(TimeSpan.FromMilliseconds(41.5), parsed.Final.Timings.Vision.ToTimeSpan());
    }
}
