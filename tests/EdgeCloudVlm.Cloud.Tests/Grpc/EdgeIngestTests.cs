using EdgeCloudVlm.Cloud.Tests.Support;
using EdgeCloudVlm.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;

namespace EdgeCloudVlm.Cloud.Tests.Grpc;

/// <summary>The edge ingest stream over real HTTP/2 (Kestrel, h2c) with frames encoded by AlignedVqCodec from the demo
/// model's vision edge output.</summary>
[Collection(CloudCollection.Name)]
public sealed class EdgeIngestTests(CloudFixture cloud)
{
    private DemoModel Model => cloud.Model;

    [Fact]
    public async Task Stream_CodecFrames_AnswerLikeThePipelineOnTheSameHiddenState()
    {
        await using IngestSessionClient session = await IngestSessionClient.OpenAsync(cloud.Kestrel.CreateIngestClient());
        Assert.True(session.HelloAck.MaxFrameBytes > 0);
        Assert.Equal(8u, session.HelloAck.MaxInFlight);

        for (int item = 0; item < 4; item++)
        {
            byte[] frame = Model.Frame(item);
            string question = Model.Question(item);
            string expected = Model.AnswerForFrame(frame, question);

            List<CloudEvent> events = await session.AskAsync(IngestSessionClient.CodecFrame(NewId(), Model, frame, question));

            Assert.Equal(CloudEvent.KindOneofCase.Accepted, events[0].KindCase);
            Assert.False(events[0].Accepted.Duplicate);
            Final final = Assert.Single(events, e => e.KindCase == CloudEvent.KindOneofCase.Final).Final;
            Assert.Equal(expected, final.Text);
            Assert.Equal(expected, string.Concat(events.Where(e => e.KindCase == CloudEvent.KindOneofCase.Delta).Select(e => e.Delta.Text)));
            Assert.Equal((ulong)frame.Length, final.BytesReceived);
            Assert.Equal(FinishReason.Stop, final.FinishReason);
            Assert.Equal((uint)Model.Tokens, final.Usage.ImageTokens);
            Assert.True(final.Usage.CompletionTokens >= 1);
            Assert.True(final.Timings.Total.ToTimeSpan() >= final.Timings.Vision.ToTimeSpan());
        }
    }

    [Fact]
    public async Task Stream_RetriedFrameId_ReturnsTheFirstFinalInsteadOfRunningAgain()
    {
        byte[] frame = Model.Frame(5);
        Frame message = IngestSessionClient.CodecFrame(NewId(), Model, frame, Model.Question(5));
        Final first;
        await using (IngestSessionClient session = await IngestSessionClient.OpenAsync(cloud.Kestrel.CreateIngestClient()))
        {
            first = (await session.AskAsync(message)).Single(e => e.KindCase == CloudEvent.KindOneofCase.Final).Final;
        }

        // The edge lost the answer and resends on a new stream.
        await using IngestSessionClient retry = await IngestSessionClient.OpenAsync(cloud.Kestrel.CreateIngestClient());
        List<CloudEvent> events = await retry.AskAsync(message);

        Assert.True(events[0].Accepted.Duplicate);
        Final replayed = Assert.Single(events, e => e.KindCase == CloudEvent.KindOneofCase.Final).Final;
        // Equal down to the server timings: a second run would have measured its own.
        Assert.Equal(first, replayed);
    }

    [Fact]
    public async Task Stream_AckedFrameId_IsRunAgainWhenResent()
    {
        Frame message = IngestSessionClient.CodecFrame(NewId(), Model, Model.Frame(5), Model.Question(5));
        await using IngestSessionClient session = await IngestSessionClient.OpenAsync(cloud.Kestrel.CreateIngestClient());
        Final first = (await session.AskAsync(message)).Single(e => e.KindCase == CloudEvent.KindOneofCase.Final).Final;

        await session.SendAsync(new EdgeMessage { Ack = new Ack { FrameIds = { message.FrameId } } });
        List<CloudEvent> again = await session.AskAsync(message);

        Assert.False(again[0].Accepted.Duplicate);
        Assert.Equal(first.Text, again.Single(e => e.KindCase == CloudEvent.KindOneofCase.Final).Final.Text);
    }

    [Fact]
    public async Task Stream_ConcurrentDuplicates_ShareOneRun()
    {
        byte[] frame = Model.Frame(6);
        Frame message = IngestSessionClient.CodecFrame(NewId(), Model, frame, Model.Question(6));
        await using IngestSessionClient session = await IngestSessionClient.OpenAsync(cloud.Kestrel.CreateIngestClient());

        await session.SendAsync(message);
        await session.SendAsync(message);
        List<CloudEvent> events = await session.WaitForAsync(message.FrameId, terminals: 2);

        List<Accepted> accepted = events.Where(e => e.KindCase == CloudEvent.KindOneofCase.Accepted).Select(e => e.Accepted).ToList();
        Assert.Equal(2, accepted.Count);
        Assert.Single(accepted, a => !a.Duplicate);
        List<Final> finals = events.Where(e => e.KindCase == CloudEvent.KindOneofCase.Final).Select(e => e.Final).ToList();
        Assert.Equal(2, finals.Count);
        Assert.Equal(finals[0], finals[1]);
    }

    [Fact]
    public async Task Stream_UnknownCodebook_ErrorNamesTheIdAndTheStreamGoesOn()
    {
        await using IngestSessionClient session = await IngestSessionClient.OpenAsync(cloud.Kestrel.CreateIngestClient());
        byte[] frame = Model.Frame(0);
        string unknown = new string('a', 64);

        List<CloudEvent> rejected = await session.AskAsync(IngestSessionClient.CodecFrame(NewId(), Model, frame, Model.Question(0), unknown));
        List<CloudEvent> answered = await session.AskAsync(IngestSessionClient.CodecFrame(NewId(), Model, frame, Model.Question(0)));

        ErrorDetail error = Assert.Single(rejected).Error;
        Assert.Equal(ErrorCode.UnknownCodebook, error.Code);
        Assert.Contains(unknown, error.Message, StringComparison.Ordinal);
        Assert.False(error.Retryable);
        Assert.Contains(answered, e => e.KindCase == CloudEvent.KindOneofCase.Final);
    }

    [Theory]
    [InlineData("flip", "ChecksumMismatch")]
    [InlineData("truncate", "Truncated")]
    [InlineData("magic", "BadMagic")]
    public async Task Stream_MalformedFrame_InvalidFrameErrorWithTheStatus(string damage, string status)
    {
        byte[] frame = Model.Frame(0);
        switch (damage)
        {
            case "flip":
                frame[frame.Length / 2] ^= 0x40;
                break;
            case "truncate":
                frame = frame[..^6];
                break;
            default:
                frame[0] = 0;
                break;
        }

        await using IngestSessionClient session = await IngestSessionClient.OpenAsync(cloud.Kestrel.CreateIngestClient());
        List<CloudEvent> events = await session.AskAsync(IngestSessionClient.CodecFrame(NewId(), Model, frame, Model.Question(0)));

        ErrorDetail error = Assert.Single(events).Error;
        Assert.Equal(ErrorCode.InvalidFrame, error.Code);
        Assert.Contains(status, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stream_CodebookIdDisagreesWithFrameTag_IsRejected()
    {
        // A second codebook the server holds, so the id is known but is not the one the frame was made with.
        string other = cloud.VariantCodebookId.ToString();

        await using IngestSessionClient session = await IngestSessionClient.OpenAsync(cloud.Kestrel.CreateIngestClient());
        List<CloudEvent> events = await session.AskAsync(IngestSessionClient.CodecFrame(NewId(), Model, Model.Frame(0), Model.Question(0), other));

        ErrorDetail error = Assert.Single(events).Error;
        Assert.Equal(ErrorCode.InvalidFrame, error.Code);
        Assert.Contains("CodebookMismatch", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stream_EmptyCodebookId_IsResolvedByTheFrameTag()
    {
        byte[] frame = Model.Frame(2);
        await using IngestSessionClient session = await IngestSessionClient.OpenAsync(cloud.Kestrel.CreateIngestClient());

        List<CloudEvent> events = await session.AskAsync(IngestSessionClient.CodecFrame(NewId(), Model, frame, Model.Question(2), codebookId: ""));

        Assert.Equal(Model.AnswerForFrame(frame, Model.Question(2)), events.Single(e => e.KindCase == CloudEvent.KindOneofCase.Final).Final.Text);
    }

    [Fact]
    public async Task Stream_FallbackJpeg_GoesThroughTheImagePath()
    {
        byte[] image = Model.ImageBytes(3);
        await using IngestSessionClient session = await IngestSessionClient.OpenAsync(cloud.Kestrel.CreateIngestClient());
        var frame = new Frame
        {
            FrameId = NewId(),
            ModelId = Model.Id,
            FallbackJpeg = ByteString.CopyFrom(image),
            Question = Model.Question(3),
        };

        List<CloudEvent> events = await session.AskAsync(frame);

        Final final = Assert.Single(events, e => e.KindCase == CloudEvent.KindOneofCase.Final).Final;
        Assert.Equal(Model.AnswerForImage(image, Model.Question(3)), final.Text);
        Assert.Equal((ulong)image.Length, final.BytesReceived);
    }

    [Fact]
    public async Task Stream_FrameOfAnotherDevice_IsPermissionDenied()
    {
        await using IngestSessionClient session = await IngestSessionClient.OpenAsync(cloud.Kestrel.CreateIngestClient());
        Frame frame = IngestSessionClient.CodecFrame(NewId(), Model, Model.Frame(0), Model.Question(0));
        frame.DeviceId = "camera-2";

        List<CloudEvent> events = await session.AskAsync(frame);

        Assert.Equal(ErrorCode.PermissionDenied, Assert.Single(events).Error.Code);
    }

    [Fact]
    public async Task Stream_FrameWithoutId_EndsTheSessionAfterAnsweringRunningFrames()
    {
        await using IngestSessionClient session = await IngestSessionClient.OpenAsync(cloud.Kestrel.CreateIngestClient());
        string first = NewId();
        await session.SendAsync(IngestSessionClient.CodecFrame(first, Model, Model.Frame(1), Model.Question(1)));
        await session.SendAsync(IngestSessionClient.CodecFrame("", Model, Model.Frame(0), Model.Question(0)));

        CloudEvent ended = await session.WaitForSessionEventAsync(CloudEvent.KindOneofCase.Error);
        Status status = await session.EndAsync();
        List<CloudEvent> answered = await session.WaitForAsync(first);

        Assert.Equal(ErrorCode.InvalidFrame, ended.Error.Code);
        Assert.Contains("frame_id", ended.Error.Message, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, status.StatusCode);
        Assert.Equal(Model.AnswerForFrame(Model.Frame(1), Model.Question(1)),
            Assert.Single(answered, e => e.KindCase == CloudEvent.KindOneofCase.Final).Final.Text);
    }

    [Fact]
    public async Task Stream_Ping_IsAnsweredWithPong()
    {
        await using IngestSessionClient session = await IngestSessionClient.OpenAsync(cloud.Kestrel.CreateIngestClient());
        var sentAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow);

        await session.SendAsync(new EdgeMessage { Ping = new Ping { Nonce = 42, SentAt = sentAt } });
        CloudEvent pong = await session.WaitForSessionEventAsync(CloudEvent.KindOneofCase.Pong);

        Assert.Equal(42ul, pong.Pong.Nonce);
        Assert.Equal(sentAt, pong.Pong.PingSentAt);
    }

    [Fact]
    public async Task Stream_HalfClosedWithFramesRunning_AnswersThemBeforeEnding()
    {
        await using IngestSessionClient session = await IngestSessionClient.OpenAsync(cloud.Kestrel.CreateIngestClient());
        string[] ids = [NewId(), NewId(), NewId()];
        for (int i = 0; i < ids.Length; i++)
        {
            await session.SendAsync(IngestSessionClient.CodecFrame(ids[i], Model, Model.Frame(i), Model.Question(i)));
        }

        await session.CompleteAsync();
        Status status = await session.EndAsync();

        Assert.Equal(StatusCode.OK, status.StatusCode);
        Assert.All(ids, id => Assert.Contains(session.Events, e => e.FrameId == id && e.KindCase == CloudEvent.KindOneofCase.Final));
    }

    [Fact]
    public async Task Stream_FirstMessageNotHello_EndsWithInvalidArgument()
    {
        using AsyncDuplexStreamingCall<EdgeMessage, CloudEvent> call = cloud.Kestrel.CreateIngestClient().Stream();
        await call.RequestStream.WriteAsync(new EdgeMessage { Ping = new Ping { Nonce = 1 } });

        var events = new List<CloudEvent>();
        RpcException error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (CloudEvent e in call.ResponseStream.ReadAllAsync())
            {
                events.Add(e);
            }
        });

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(ErrorCode.InvalidFrame, Assert.Single(events).Error.Code);
    }

    [Fact]
    public async Task Stream_ApplicationKey_IsPermissionDenied()
    {
        using AsyncDuplexStreamingCall<EdgeMessage, CloudEvent> call = cloud.Kestrel.CreateIngestClient(CloudFactory.ApplicationKey).Stream();

        RpcException error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
    }

    private static string NewId() => Guid.NewGuid().ToString("N");
}
