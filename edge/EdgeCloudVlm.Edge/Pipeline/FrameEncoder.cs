using System.Buffers;
using System.Diagnostics;
using EdgeCloudVlm.Codec;
using EdgeCloudVlm.Contracts.V1;
using EdgeCloudVlm.Edge.Codebooks;
using EdgeCloudVlm.Edge.Hosting;
using EdgeCloudVlm.Edge.State;
using EdgeCloudVlm.Edge.Telemetry;
using EdgeCloudVlm.Inference.Preprocessing;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace EdgeCloudVlm.Edge.Pipeline;

/// <summary>
/// decode (header limits checked first, EXIF orientation applied) → preprocess (the shared
/// <see cref="ImagePreprocessor"/>) → vision_edge.onnx → AlignedVQ encode. When the vision head or the codec cannot run
/// the image goes as JPEG, if allowed. The frame's capture span context is written into Frame.trace_context so the
/// cloud's spans join the device's trace. Thread-safe.
/// </summary>
public sealed class FrameEncoder(
    VisionHead head,
    CodebookStore codebooks,
    IOptions<CodecOptions> codecOptions,
    IOptions<EdgeOptions> edgeOptions,
    EdgeTelemetry telemetry,
    AgentStatus status,
    TimeProvider time,
    ILogger<FrameEncoder> logger) : IFrameEncoder
{
    private static readonly Configuration Decoders = new(
        new PngConfigurationModule(), new JpegConfigurationModule(), new WebpConfigurationModule(), new BmpConfigurationModule());

    private readonly string _modelId = string.IsNullOrWhiteSpace(edgeOptions.Value.ModelId) ? head.Manifest.Name : edgeOptions.Value.ModelId;

    public string ModelId => _modelId;

    /// <summary>Ask for <see cref="EncodeResult.JpegBytes"/> (the <c>ask</c> command's comparison).</summary>
    public bool MeasureJpeg { get; set; }

    public EncodeResult Encode(CaptureRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using Activity? activity = EdgeTelemetry.ActivitySource.StartActivity("edge.capture", ActivityKind.Producer);
        activity?.SetTag("edgecloudvlm.frame_id", request.FrameId);
        activity?.SetTag("edgecloudvlm.source", request.Source);

        long start = time.GetTimestamp();
        ImageSourceInfo info;
        Image<Rgb24> image;
        try
        {
            info = head.Preprocessor.Identify(request.Image.Span);
            image = Image.Load<Rgb24>(Decoders, request.Image.Span);
            image.Mutate(static x => x.AutoOrient());
        }
        catch (ImageRejectedException ex)
        {
            return Rejected(request, ex.Message);
        }
        catch (Exception ex) when (ex is UnknownImageFormatException or ImageFormatException or NotSupportedException or ArgumentException or IOException)
        {
            return Rejected(request, $"image cannot be decoded: {ex.Message}");
        }

        using (image)
        {
            TimeSpan decode = time.GetElapsedTime(start);
            telemetry.Stage("decode", decode);
            var timings = new EncodeTimings(decode, default, default, default);
            var frame = new Frame
            {
                FrameId = request.FrameId,
                DeviceId = edgeOptions.Value.DeviceId,
                ModelId = _modelId,
                Question = request.Question,
                CapturedAt = Timestamp.FromDateTimeOffset(request.CapturedAt),
            };

            string? fallback = TryEncodeSplit(request, image, frame, ref timings, cancellationToken);
            long? jpegBytes = null;
            if (fallback is not null)
            {
                if (!codecOptions.Value.AllowJpegFallback)
                {
                    return EncodeResult.Failed(IntakeStatus.Refused, $"the frame cannot be encoded ({fallback}) and Edge:Codec:AllowJpegFallback is off", timings);
                }

                byte[] jpeg = ToJpeg(request.Image, info, image);
                frame.FallbackJpeg = UnsafeByteOperations.UnsafeWrap(jpeg);
                jpegBytes = jpeg.Length;
                telemetry.Fallback(fallback);
                status.Fallback();
            }
            else if (MeasureJpeg)
            {
                jpegBytes = ToJpeg(request.Image, info, image).Length;
            }

            if (activity is not null)
            {
                frame.TraceContext["traceparent"] = activity.Id!;
                if (!string.IsNullOrEmpty(activity.TraceStateString))
                {
                    frame.TraceContext["tracestate"] = activity.TraceStateString;
                }

                activity.SetTag("edgecloudvlm.payload", fallback is null ? "codec" : "jpeg");
            }

            telemetry.FrameTaken(request.Source, fallback is null ? "codec" : "jpeg");
            return new EncodeResult { Frame = frame, FallbackReason = fallback, Timings = timings, JpegBytes = jpegBytes };
        }
    }

    /// <summary>Fills the codec payload; returns the fallback reason when it could not.</summary>
    private string? TryEncodeSplit(CaptureRequest request, Image<Rgb24> image, Frame frame, ref EncodeTimings timings, CancellationToken cancellationToken)
    {
        AlignedVqCodec? codec = codebooks.Codec;
        string? codebookId = codebooks.ActiveId;
        if (head.Model is null)
        {
            return "no_vision_head";
        }

        if (codec is null || codebookId is null)
        {
            return "no_codebook";
        }

        int tokens = head.Tokens;
        int dim = head.HiddenDim;
        float[] pixels = ArrayPool<float>.Shared.Rent(head.Preprocessor.TensorLength);
        float[] hidden = ArrayPool<float>.Shared.Rent(tokens * dim);
        byte[] output = ArrayPool<byte>.Shared.Rent(codec.GetMaxFrameLength(tokens, dim));
        string stage = "preprocess";
        try
        {
            long t = time.GetTimestamp();
            head.Preprocessor.Preprocess(image, pixels.AsSpan(0, head.Preprocessor.TensorLength));
            TimeSpan preprocess = time.GetElapsedTime(t);

            stage = "vision";
            t = time.GetTimestamp();
            head.Model.VisionEdge.Run(pixels.AsMemory(0, head.Preprocessor.TensorLength), 1, hidden.AsMemory(0, tokens * dim), cancellationToken);
            TimeSpan vision = time.GetElapsedTime(t);

            stage = "encode";
            t = time.GetTimestamp();
            int length = codec.Encode(hidden.AsSpan(0, tokens * dim), tokens, dim, output);
            TimeSpan encode = time.GetElapsedTime(t);

            frame.CodebookId = codebookId;
            frame.CodecFrame = ByteString.CopyFrom(output, 0, length);
            frame.Fp16EquivalentBytes = (ulong)tokens * (ulong)dim * 2;
            timings = timings with { Preprocess = preprocess, Vision = vision, Encode = encode };
            telemetry.Stage("preprocess", preprocess);
            telemetry.Stage("vision", vision);
            telemetry.Stage("encode", encode);
            telemetry.CompressionRatio((double)frame.Fp16EquivalentBytes / length);
            return null;
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or ArgumentException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            EdgeLog.EncodeFailed(logger, request.FrameId, stage, ex.Message);
            status.RecordError(stage, $"frame {request.FrameId}: {ex.Message}");
            return stage == "encode" ? "codec_error" : "vision_error";
        }
        finally
        {
            ArrayPool<float>.Shared.Return(pixels);
            ArrayPool<float>.Shared.Return(hidden);
            ArrayPool<byte>.Shared.Return(output);
        }
    }

    private byte[] ToJpeg(ReadOnlyMemory<byte> input, ImageSourceInfo info, Image<Rgb24> image)
    {
        if (string.Equals(info.Format, "JPEG", StringComparison.OrdinalIgnoreCase))
        {
            return input.ToArray();
        }

        using var stream = new MemoryStream();
        image.SaveAsJpeg(stream, new JpegEncoder { Quality = codecOptions.Value.JpegQuality });
        return stream.ToArray();
    }

    private EncodeResult Rejected(CaptureRequest request, string reason)
    {
        EdgeLog.ImageRejected(logger, request.Source, reason);
        return EncodeResult.Failed(IntakeStatus.Rejected, reason);
    }
}
