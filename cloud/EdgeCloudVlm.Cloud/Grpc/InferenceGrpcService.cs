using EdgeCloudVlm.Cloud.Codebooks;
using EdgeCloudVlm.Cloud.Engine;
using EdgeCloudVlm.Cloud.Frames;
using EdgeCloudVlm.Cloud.Models;
using EdgeCloudVlm.Cloud.Requests;
using EdgeCloudVlm.Cloud.Telemetry;
using EdgeCloudVlm.Contracts.V1;
using EdgeCloudVlm.Inference.Generation;
using EdgeCloudVlm.ServiceDefaults.Authentication;
using Grpc.Core;
using Microsoft.AspNetCore.Authorization;

namespace EdgeCloudVlm.Cloud.Grpc;

/// <summary>Direct inference for applications: an image or a codec frame and a question in, token deltas and one
/// Completion out; failures end the call with a status carrying an <see cref="ErrorDetail"/>.</summary>
internal sealed partial class InferenceGrpcService(
    ModelCatalog catalog,
    CodebookRegistry codebooks,
    FrameDecoder frames,
    RequestBuilder requests,
    FrontEndMetrics metrics,
    TimeProvider timeProvider,
    ILogger<InferenceGrpcService> logger) : Contracts.V1.Inference.InferenceBase
{
    [Authorize(Policy = AuthPolicies.Application)]
    public override async Task Generate(GenerateRequest request, IServerStreamWriter<GenerateResponse> responseStream, ServerCallContext context)
    {
        long start = timeProvider.GetTimestamp();
        RequestError? failure = null;
        try
        {
            RequestError? error = catalog.TryGet(request.ModelId, "model_id", out ServedModel? model);
            (EngineImage? image, TimeSpan dequantize) = error is null ? Acquire(request, model!, out error) : (null, TimeSpan.Zero);
            EngineRequest? engineRequest = null;
            error ??= requests.TryBuild(model!, image!, request.Prompt, ProtoMapping.ToSettings(request.Parameters, ParamNames.Grpc),
                Deadline(context), out engineRequest);
            if (error is not null)
            {
                throw new RequestErrorException(error);
            }

            await foreach (GenerationDelta delta in EngineStream.RunAsync(model!.Engine, engineRequest!, "image", context.CancellationToken))
            {
                if (delta.Text.Length > 0)
                {
                    await responseStream.WriteAsync(new GenerateResponse
                    {
                        Delta = new TokenDelta { Text = delta.Text, TokenIndex = (uint)Math.Max(0, delta.IsFinal ? delta.Index - 1 : delta.Index) },
                    });
                }

                if (delta.Result is { } result)
                {
                    await responseStream.WriteAsync(new GenerateResponse
                    {
                        Final = new Completion
                        {
                            Text = result.Text,
                            FinishReason = ProtoMapping.ToProto(result.FinishReason),
                            Usage = ProtoMapping.ToUsage(result),
                            Timings = ProtoMapping.ToTimings(result, dequantize, timeProvider.GetElapsedTime(start)),
                        },
                    });
                }
            }
        }
        catch (RequestErrorException ex)
        {
            failure = ex.Error;
            if (failure.Kind == RequestErrorKind.Cancelled && context.Deadline <= timeProvider.GetUtcNow().UtcDateTime)
            {
                failure = new RequestError(RequestErrorKind.DeadlineExceeded, "The call's deadline passed before the answer was complete.")
                {
                    Code = "deadline_exceeded",
                };
            }

            LogRejected(logger, failure.Kind, failure.Message);
            throw GrpcErrors.ToRpcException(failure);
        }
        catch (Exception ex) when (ex is not RpcException && !context.CancellationToken.IsCancellationRequested)
        {
            failure = new RequestError(RequestErrorKind.Internal, "The server failed to answer.") { Code = "internal_error" };
            LogFault(logger, ex);
            throw GrpcErrors.ToRpcException(failure);
        }
        finally
        {
            metrics.Request("grpc", catalog.TelemetryName(request.ModelId), failure);
        }
    }

    [Authorize(Policy = AuthPolicies.Any)]
    public override Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context)
    {
        if (catalog.TryGet(null, "model_id", out _) is { Kind: RequestErrorKind.NotReady } notReady)
        {
            throw GrpcErrors.ToRpcException(notReady);
        }

        var response = new ListModelsResponse();
        foreach (ServedModel model in catalog.Models)
        {
            var info = new ModelInfo
            {
                Id = model.Id,
                Description = model.Model.Manifest.Description ?? "",
                SplitLayer = (uint)model.Model.Manifest.Vision.SplitLayer,
                SplitTokens = (uint)model.SplitTokens,
                SplitDim = (uint)model.SplitDim,
                ContextLength = (uint)Math.Max(0, model.Model.Manifest.LanguageModel.MaxPositions),
            };
            foreach (RegisteredCodebook codebook in codebooks.List(model.Id))
            {
                info.CodebookIds.Add(codebook.Id.ToString());
            }

            response.Models.Add(info);
        }

        return Task.FromResult(response);
    }

    private (EngineImage? Image, TimeSpan Dequantize) Acquire(GenerateRequest request, ServedModel model, out RequestError? error)
    {
        switch (request.InputCase)
        {
            case GenerateRequest.InputOneofCase.Image:
                error = requests.CheckImage(model, request.Image.Span, "image");
                return (error is null ? EngineImage.FromEncoded(request.Image.Memory) : null, TimeSpan.Zero);
            case GenerateRequest.InputOneofCase.CodecFrame:
                ReadOnlyMemory<byte> frame = request.CodecFrame.Data.Memory;
                if (frame.Length > requests.Limits.MaxFrameBytes)
                {
                    error = new RequestError(RequestErrorKind.PayloadTooLarge,
                        $"The codec frame is {frame.Length} bytes; the limit is {requests.Limits.MaxFrameBytes} bytes.")
                    {
                        Param = "codec_frame.data",
                        Code = "frame_too_large",
                    };
                    return (null, TimeSpan.Zero);
                }

                FrameDecodeResult decoded = frames.Decode(model, request.CodecFrame.CodebookId, frame);
                error = decoded.Error;
                return (decoded.Image, decoded.Elapsed);
            default:
                error = RequestError.Invalid(
                    $"Model '{model.Id}' answers questions about exactly one image: set image or codec_frame.", "input", "image_required");
                return (null, TimeSpan.Zero);
        }
    }

    private static DateTimeOffset? Deadline(ServerCallContext context) =>
        context.Deadline == DateTime.MaxValue ? null : new DateTimeOffset(DateTime.SpecifyKind(context.Deadline, DateTimeKind.Utc));

    [LoggerMessage(Level = LogLevel.Information, Message = "Generate rejected ({Kind}): {Reason}")]
    private static partial void LogRejected(ILogger logger, RequestErrorKind kind, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Generate failed")]
    private static partial void LogFault(ILogger logger, Exception exception);
}
