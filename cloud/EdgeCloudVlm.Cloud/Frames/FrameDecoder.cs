using System.Diagnostics;
using EdgeCloudVlm.Cloud.Codebooks;
using EdgeCloudVlm.Cloud.Engine;
using EdgeCloudVlm.Cloud.Models;
using EdgeCloudVlm.Cloud.Requests;
using EdgeCloudVlm.Cloud.Telemetry;
using EdgeCloudVlm.Codec;
using EdgeCloudVlm.Codec.Baselines;
using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Codec.Frames;

namespace EdgeCloudVlm.Cloud.Frames;

/// <summary>The outcome of decoding one codec frame: the engine image, or the reason the frame was refused.</summary>
internal readonly record struct FrameDecodeResult(EngineImage? Image, RequestError? Error, TimeSpan Elapsed);

/// <summary>
/// Turns a codec frame into the split hidden state for a model: checks the header (magic, version, length, CRC),
/// finds the codebook the frame names in the registry (the frame's 8-byte tag and the message's codebook id must
/// agree), checks the shape against the model, and dequantizes inside a <c>dequantize</c> span. AlignedVQ frames need
/// a registered codebook; the scalar baselines (fp16, int8, int4) carry everything themselves.
/// </summary>
internal sealed class FrameDecoder(CodebookRegistry codebooks, FrontEndMetrics metrics, TimeProvider timeProvider)
{
    private static readonly Float16Codec Float16 = new();
    private static readonly PerTokenIntCodec Int8 = new(8);
    private static readonly PerTokenIntCodec Int4 = new(4);

    /// <param name="model">The model the frame is for.</param>
    /// <param name="codebookId">The codebook id the message names (hex); empty to go by the frame's tag alone.</param>
    /// <param name="frame">The frame bytes exactly as received.</param>
    public FrameDecodeResult Decode(ServedModel model, string? codebookId, ReadOnlyMemory<byte> frame)
    {
        long start = timeProvider.GetTimestamp();
        using Activity? activity = CloudTelemetry.ActivitySource.StartActivity("dequantize");
        activity?.SetTag(CloudTelemetry.ModelTag, model.Id);
        activity?.SetTag("edgecloudvlm.frame.bytes", frame.Length);

        FrameStatus status = FrameFormat.TryReadHeader(frame.Span, out FrameHeader header);
        string kind = status == FrameStatus.Ok ? KindName(header.Kind) : "unknown";
        IFeatureCodec? codec = null;
        RequestError? error = status != FrameStatus.Ok
            ? RequestError.Frame(status, $"the frame header or checksum is not valid ({frame.Length} bytes)")
            : Resolve(model, codebookId, header, out codec);

        EngineImage? image = null;
        if (error is null)
        {
            activity?.SetTag(FrontEndMetrics.CodecTag, kind);
            var tensor = new float[header.Tokens * header.Dimension];
            status = codec!.Decode(frame.Span, tensor, out _);
            if (status == FrameStatus.Ok)
            {
                image = EngineImage.FromHiddenState(tensor, frame.Span);
            }
            else
            {
                error = RequestError.Frame(status, $"the {kind} payload does not decode");
            }
        }

        TimeSpan elapsed = timeProvider.GetElapsedTime(start);
        if (error is not null)
        {
            activity?.SetStatus(ActivityStatusCode.Error, error.Message);
        }

        metrics.Dequantized(elapsed, kind);
        metrics.Frame(kind, model.Id, frame.Length, error is null ? header.Float16Bytes : 0, error);
        return new FrameDecodeResult(image, error, elapsed);
    }

    private RequestError? Resolve(ServedModel model, string? codebookId, FrameHeader header, out IFeatureCodec? codec)
    {
        codec = null;
        string codecName = KindName(header.Kind);
        if (header.Tokens != model.SplitTokens || header.Dimension != model.SplitDim)
        {
            return RequestError.Frame(FrameStatus.ShapeMismatch,
                $"the frame holds a {header.Tokens} x {header.Dimension} tensor, model '{model.Id}' splits at {model.SplitTokens} x {model.SplitDim}");
        }

        if (header.Kind != FrameKind.VectorQuantized)
        {
            if (!string.IsNullOrEmpty(codebookId))
            {
                return RequestError.Frame(FrameStatus.CodebookMismatch,
                    $"a {codecName} frame uses no codebook, but the message names codebook {codebookId}");
            }

            codec = header.Kind switch
            {
                FrameKind.Float16 => Float16,
                FrameKind.Int8PerToken => Int8,
                _ => Int4,
            };
            return null;
        }

        RegisteredCodebook? codebook;
        if (string.IsNullOrEmpty(codebookId))
        {
            codebook = codebooks.FindByTag(header.CodebookTag);
            if (codebook is null)
            {
                return UnknownCodebook($"the frame's codebook (tag {header.CodebookTag:x16}) is not held by this server");
            }
        }
        else
        {
            if (!CodebookId.TryParse(codebookId, out CodebookId id))
            {
                return RequestError.Invalid($"codebook_id '{codebookId}' is not a 64-digit hex SHA-256", "codebook_id", "invalid_codebook_id");
            }

            if (!codebooks.TryGet(id, out codebook))
            {
                return UnknownCodebook($"codebook {id} is not held by this server");
            }

            if (header.CodebookTag != id.Tag)
            {
                return RequestError.Frame(FrameStatus.CodebookMismatch,
                    $"the frame header's codebook tag {header.CodebookTag:x16} does not match codebook_id {id}");
            }
        }

        if (!string.IsNullOrEmpty(codebook.ModelId) && !string.Equals(codebook.ModelId, model.Id, StringComparison.Ordinal))
        {
            return RequestError.Frame(FrameStatus.CodebookMismatch,
                $"codebook {codebook.Id} was trained for model '{codebook.ModelId}', not '{model.Id}'");
        }

        codec = codebook.Codec;
        return null;
    }

    private static RequestError UnknownCodebook(string message) =>
        new(RequestErrorKind.UnknownCodebook,
            $"{message}; list the server's codebooks with Codebooks.List and encode with one of them")
        {
            Param = "codebook_id",
            Code = "unknown_codebook",
        };

    private static string KindName(FrameKind kind) => kind switch
    {
        FrameKind.VectorQuantized => "aligned_vq",
        FrameKind.Float16 => "fp16",
        FrameKind.Int8PerToken => "int8",
        FrameKind.Int4PerToken => "int4",
        _ => "unknown",
    };
}
