using System.Diagnostics;
using EdgeCloudVlm.Codec;
using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Contracts.V1;
using EdgeCloudVlm.Edge.Codebooks;
using EdgeCloudVlm.Edge.Pipeline;
using EdgeCloudVlm.Edge.Telemetry;
using EdgeCloudVlm.Edge.Tests.Support;
using EdgeCloudVlm.Inference;
using EdgeCloudVlm.Inference.Manifest;
using EdgeCloudVlm.Inference.Runtime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace EdgeCloudVlm.Edge.Tests.Pipeline;

public sealed class FrameEncoderTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(30)]
    public void Encode_EvalImage_EqualsAlignedVqCodecOutputForTheVisionHeadsHiddenState(int item)
    {
        EvalQuestion eval = Repo.EvalQuestions()[item];
        byte[] image = File.ReadAllBytes(eval.ImagePath);
        using var demo = new DemoEncoder();

        EncodeResult result = demo.Encoder.Encode(DemoEncoder.Request(image), CancellationToken.None);

        byte[] expected = Reference(image, out CodebookId codebookId, out int tokens, out int dim);
        Frame frame = Assert.IsType<Frame>(result.Frame);
        Assert.Null(result.FallbackReason);
        Assert.Equal(Frame.PayloadOneofCase.CodecFrame, frame.PayloadCase);
        Assert.Equal(expected, frame.CodecFrame.ToByteArray());
        Assert.Equal(codebookId.ToString(), frame.CodebookId);
        Assert.Equal((ulong)(tokens * dim * 2), frame.Fp16EquivalentBytes);
        Assert.Equal("shapes-vqa", frame.ModelId);
        Assert.Equal("device-1", frame.DeviceId);
        Assert.Equal("what color is the square?", frame.Question);
    }

    [Fact]
    public void Encode_NoCodebook_SendsTheImageAsJpegAndCountsTheFallback()
    {
        byte[] png = File.ReadAllBytes(Repo.EvalQuestions()[0].ImagePath);
        using var demo = new DemoEncoder(loadCodebook: false);

        EncodeResult result = demo.Encoder.Encode(DemoEncoder.Request(png), CancellationToken.None);

        Frame frame = Assert.IsType<Frame>(result.Frame);
        Assert.Equal("no_codebook", result.FallbackReason);
        Assert.Equal(Frame.PayloadOneofCase.FallbackJpeg, frame.PayloadCase);
        Assert.Equal(0UL, frame.Fp16EquivalentBytes);
        using Image<Rgb24> decoded = Image.Load<Rgb24>(frame.FallbackJpeg.ToByteArray());
        Assert.Equal(96, decoded.Width);
        Assert.Equal(1, demo.Status.Counters().Fallbacks);
    }

    [Fact]
    public void Encode_NoCodebookAndFallbackOff_RefusedForLater()
    {
        byte[] png = File.ReadAllBytes(Repo.EvalQuestions()[0].ImagePath);
        using var demo = new DemoEncoder(new CodecOptions { AllowJpegFallback = false }, loadCodebook: false);

        EncodeResult result = demo.Encoder.Encode(DemoEncoder.Request(png), CancellationToken.None);

        Assert.Null(result.Frame);
        Assert.Equal(IntakeStatus.Refused, result.FailureStatus);
        Assert.Contains("AllowJpegFallback", result.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Encode_NotAnImage_Rejected()
    {
        using var demo = new DemoEncoder();

        EncodeResult result = demo.Encoder.Encode(DemoEncoder.Request("definitely not an image"u8.ToArray()), CancellationToken.None);

        Assert.Null(result.Frame);
        Assert.Equal(IntakeStatus.Rejected, result.FailureStatus);
    }

    [Fact]
    public void Encode_WithATracer_WritesTheCaptureSpanIntoTraceContext()
    {
        var spans = new System.Collections.Concurrent.ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == EdgeTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(listener);
        using var demo = new DemoEncoder();

        EncodeResult result = demo.Encoder.Encode(DemoEncoder.Request(File.ReadAllBytes(Repo.EvalQuestions()[0].ImagePath), id: "trace-test"), CancellationToken.None);

        Activity capture = Assert.Single(spans, s => s.OperationName == "edge.capture" && (s.GetTagItem("edgecloudvlm.frame_id") as string) == "trace-test");
        string traceParent = result.Frame!.TraceContext["traceparent"];
        Assert.Equal(capture.Id, traceParent);
        Assert.True(ActivityContext.TryParse(traceParent, null, out ActivityContext parsed));
        Assert.Equal(capture.TraceId, parsed.TraceId);
    }

    /// <summary>What the shared libraries produce for this image, without the agent.</summary>
    private static byte[] Reference(byte[] image, out CodebookId id, out int tokens, out int dim)
    {
        using VlmModel model = VlmModel.Load(RepositoryLayout.DemoModel, new VlmModelOptions
        {
            Parts = [ModelPartNames.VisionEdge],
            Session = new OnnxSessionOptions { Provider = ExecutionProvider.Cpu, IntraOpThreads = 1 },
        });
        Codebook codebook = CodebookFile.Load(Repo.DemoCodebook.Path);
        var codec = new AlignedVqCodec(codebook);
        tokens = model.Manifest.Vision.Tokens;
        dim = model.Manifest.Vision.HiddenDim;
        var pixels = new float[model.Preprocessor.TensorLength];
        model.Preprocessor.Preprocess(image, pixels);
        var hidden = new float[tokens * dim];
        model.VisionEdge.Run(pixels, 1, hidden);
        var frame = new byte[codec.GetMaxFrameLength(tokens, dim)];
        int length = codec.Encode(hidden, tokens, dim, frame);
        id = codebook.Id;
        return frame[..length];
    }
}
