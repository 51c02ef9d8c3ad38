using System.Diagnostics.Metrics;
using EdgeCloudVlm.Cloud.Codebooks;
using EdgeCloudVlm.Cloud.Frames;
using EdgeCloudVlm.Cloud.Models;
using EdgeCloudVlm.Cloud.Requests;
using EdgeCloudVlm.Cloud.Telemetry;
using EdgeCloudVlm.Cloud.Tests.Support;
using EdgeCloudVlm.Codec.Baselines;
using EdgeCloudVlm.Codec.Frames;
using EdgeCloudVlm.Inference.Generation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeCloudVlm.Cloud.Tests.Frames;

public sealed class FrameDecoderTests : IClassFixture<DemoModel>, IDisposable
{
    private readonly DemoModel _demo;
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly CodebookRegistry _registry = new(NullLogger<CodebookRegistry>.Instance);
    private readonly FrameDecoder _decoder;
    private readonly ServedModel _model;

    public FrameDecoderTests(DemoModel demo)
    {
        _demo = demo;
        _registry.AddModelCodebooks(demo.Model.Manifest, demo.Id);
        _decoder = new FrameDecoder(_registry, new FrontEndMetrics(_services.GetRequiredService<IMeterFactory>()), TimeProvider.System);
        _model = new ServedModel(demo.Id, demo.Model, new FailingEngineFactory().Create(demo.Id, demo.Model), DateTimeOffset.UnixEpoch);
    }

    [Fact]
    public void Decode_AlignedVqFrame_ReturnsTheCodecsReconstruction()
    {
        byte[] frame = _demo.Frame(0);
        var expected = new float[_demo.Tokens * _demo.Dim];
        _demo.Codec.Decode(frame, expected, out _);

        FrameDecodeResult result = _decoder.Decode(_model, _demo.Codebook.Id.ToString(), frame);

        Assert.Null(result.Error);
        Assert.Equal(VlmImageSource.HiddenState, result.Image!.Source);
        Assert.Equal(expected, result.Image.Tensor.ToArray());
    }

    [Fact]
    public void Decode_RecordsADequantizeSpan()
    {
        var spans = new System.Collections.Concurrent.ConcurrentBag<System.Diagnostics.Activity>();
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == EdgeCloudVlm.Cloud.Engine.CloudTelemetry.ActivitySourceName,
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) =>
                System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        byte[] frame = _demo.Frame(3);

        _decoder.Decode(_model, _demo.Codebook.Id.ToString(), frame);

        Assert.Contains(spans, a => a.OperationName == "dequantize"
            && Equals(a.GetTagItem("edgecloudvlm.frame.bytes"), frame.Length)
            && Equals(a.GetTagItem(FrontEndMetrics.CodecTag), "aligned_vq"));
    }

    [Theory]
    [InlineData(FrameStatus.ChecksumMismatch)]
    [InlineData(FrameStatus.Truncated)]
    [InlineData(FrameStatus.BadMagic)]
    [InlineData(FrameStatus.TrailingBytes)]
    [InlineData(FrameStatus.UnsupportedVersion)]
    public void Decode_MalformedFrame_IsInvalidFrameWithItsStatus(FrameStatus status)
    {
        byte[] frame = _demo.Frame(0);
        frame = status switch
        {
            FrameStatus.ChecksumMismatch => Flip(frame, frame.Length / 2),
            FrameStatus.Truncated => frame[..^3],
            FrameStatus.BadMagic => Flip(frame, 0),
            FrameStatus.TrailingBytes => [.. frame, 0],
            _ => Flip(frame, 2),
        };

        RequestError error = _decoder.Decode(_model, _demo.Codebook.Id.ToString(), frame).Error!;

        Assert.Equal(RequestErrorKind.InvalidFrame, error.Kind);
        Assert.Equal(status, error.FrameStatus);
        Assert.Contains(status.ToString(), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_UnknownCodebookId_NamesTheId()
    {
        string unknown = new('e', 64);

        RequestError error = _decoder.Decode(_model, unknown, _demo.Frame(0)).Error!;

        Assert.Equal(RequestErrorKind.UnknownCodebook, error.Kind);
        Assert.Contains(unknown, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_CodebookIdNotHex_IsInvalidRequest()
    {
        RequestError error = _decoder.Decode(_model, "not-an-id", _demo.Frame(0)).Error!;

        Assert.Equal(RequestErrorKind.InvalidRequest, error.Kind);
        Assert.Equal("codebook_id", error.Param);
    }

    [Fact]
    public void Decode_NoCodebookId_FindsTheCodebookByTheFrameTag()
    {
        FrameDecodeResult result = _decoder.Decode(_model, "", _demo.Frame(1));

        Assert.Null(result.Error);
        Assert.NotNull(result.Image);
    }

    [Fact]
    public void Decode_Float16Frame_NeedsNoCodebook()
    {
        float[] hidden = _demo.HiddenState(0);
        var codec = new Float16Codec();
        var frame = new byte[codec.GetMaxFrameLength(_demo.Tokens, _demo.Dim)];
        int length = codec.Encode(hidden, _demo.Tokens, _demo.Dim, frame);

        FrameDecodeResult result = _decoder.Decode(_model, "", frame.AsMemory(0, length));

        Assert.Null(result.Error);
        Assert.Equal(hidden.Select(v => (float)(Half)v), result.Image!.Tensor.ToArray());
    }

    [Fact]
    public void Decode_TensorOfAnotherShape_IsShapeMismatch()
    {
        var codec = new Float16Codec();
        int tokens = _demo.Tokens - 1;
        var frame = new byte[codec.GetMaxFrameLength(tokens, _demo.Dim)];
        int length = codec.Encode(new float[tokens * _demo.Dim], tokens, _demo.Dim, frame);

        RequestError error = _decoder.Decode(_model, "", frame.AsMemory(0, length)).Error!;

        Assert.Equal(FrameStatus.ShapeMismatch, error.FrameStatus);
    }

    public void Dispose() => _services.Dispose();

    private static byte[] Flip(byte[] frame, int index)
    {
        frame[index] ^= 0x5A;
        return frame;
    }
}
