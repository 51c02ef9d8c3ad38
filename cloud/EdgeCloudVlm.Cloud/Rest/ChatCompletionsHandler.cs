using System.Text.Json;
using EdgeCloudVlm.Cloud.Engine;
using EdgeCloudVlm.Cloud.Models;
using EdgeCloudVlm.Cloud.Requests;
using EdgeCloudVlm.Cloud.Telemetry;
using EdgeCloudVlm.Inference.Generation;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.Cloud.Rest;

/// <summary>
/// <c>POST /v1/chat/completions</c>: parses the request, checks it, and answers either as one JSON object or, with
/// <c>stream: true</c>, as server-sent events in OpenAI's chunk format ending with <c>data: [DONE]</c>. The first
/// token is awaited before the response starts, so admission failures (429 with Retry-After) and deadlines (504) still
/// get their status code; a failure after that is sent as a final <c>data: {"error":...}</c> event.
/// </summary>
internal sealed partial class ChatCompletionsHandler(
    ModelCatalog catalog,
    RequestBuilder requests,
    RemoteImageFetcher remoteImages,
    FrontEndMetrics metrics,
    IOptions<RestOptions> options,
    TimeProvider timeProvider,
    ILogger<ChatCompletionsHandler> logger)
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    public async Task HandleAsync(HttpContext context)
    {
        RequestError? failure = null;
        string model = "unknown";
        try
        {
            (ParsedChat? chat, ServedModel? served, EngineRequest? request, RequestError? error) = await PrepareAsync(context);
            if (error is not null)
            {
                failure = error;
                LogRejected(logger, error.Kind, error.Message);
                await OpenAiErrors.WriteAsync(context, error);
                return;
            }

            model = served!.Id;
            failure = chat!.Stream
                ? await StreamAsync(context, chat, served, request!, chat.ImageParam)
                : await CompleteAsync(context, served, request!, chat.ImageParam);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer.
            failure = new RequestError(RequestErrorKind.Cancelled, "The client closed the request.") { Code = "cancelled" };
        }
        catch (Exception ex)
        {
            failure = new RequestError(RequestErrorKind.Internal, "The server failed to answer.") { Code = "internal_error" };
            LogFault(logger, ex);
            if (!context.Response.HasStarted)
            {
                await OpenAiErrors.WriteAsync(context, failure);
            }
        }
        finally
        {
            metrics.Request("rest", model, failure);
        }
    }

    private async Task<(ParsedChat?, ServedModel?, EngineRequest?, RequestError?)> PrepareAsync(HttpContext context)
    {
        RequestLimitsOptions limits = requests.Limits;

        // Base64 inflates by 4/3; allow that plus room for the JSON and text around the image.
        long maxBody = ((long)limits.MaxImageBytes * 4 / 3) + (1024 * 1024);
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = maxBody;
        }

        if (context.Request.ContentLength > maxBody)
        {
            return (null, null, null, BodyTooLarge(maxBody));
        }

        ChatCompletionRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync(context.Request.Body, OpenAiJsonContext.Default.ChatCompletionRequest, context.RequestAborted);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return (null, null, null, RequestError.Invalid($"The request body is not valid JSON for a chat completion: {ex.Message}", null, "invalid_json"));
        }
        catch (BadHttpRequestException ex)
        {
            return (null, null, null, ex.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? BodyTooLarge(maxBody)
                : RequestError.Invalid($"The request body cannot be read: {ex.Message}", null, "invalid_body"));
        }

        if (body is null)
        {
            return (null, null, null, RequestError.Invalid("The request body is empty.", null, "invalid_json"));
        }

        RequestError? error;
        ParsedChat? chat;
        try
        {
            error = ChatRequestParser.TryParse(body, out chat);
        }
        catch (InvalidOperationException ex)
        {
            // Message contents stay JsonElements until read: invalid UTF-8 inside one surfaces here, not in the parse.
            return (null, null, null, RequestError.Invalid($"The request body is not valid JSON for a chat completion: {ex.Message}", null, "invalid_json"));
        }

        if (error is not null)
        {
            return (null, null, null, error);
        }

        error = catalog.TryGet(chat!.Model, "model", out ServedModel? served);
        if (error is not null)
        {
            return (chat, null, null, error);
        }

        byte[]? image;
        if (DataUrl.IsDataUrl(chat.ImageUrl))
        {
            error = DataUrl.TryDecode(chat.ImageUrl, limits.MaxImageBytes, chat.ImageParam, out image);
        }
        else
        {
            (image, error) = await remoteImages.FetchAsync(chat.ImageUrl, limits.MaxImageBytes, chat.ImageParam, context.RequestAborted);
        }

        error ??= requests.CheckImage(served!, image, chat.ImageParam);
        if (error is not null)
        {
            return (chat, served, null, error);
        }

        DateTimeOffset? deadline = options.Value.RequestTimeout is { } timeout ? timeProvider.GetUtcNow() + timeout : null;
        error = requests.TryBuild(served!, EngineImage.FromEncoded(image!), chat.Question, chat.Settings, deadline, out EngineRequest? request);
        return (chat, served, request, error);
    }

    private async Task<RequestError?> CompleteAsync(HttpContext context, ServedModel served, EngineRequest request, string imageParam)
    {
        GenerationResult? result = null;
        try
        {
            await foreach (GenerationDelta delta in EngineStream.RunAsync(served.Engine, request, imageParam, context.RequestAborted))
            {
                result = delta.Result ?? result;
            }
        }
        catch (RequestErrorException ex)
        {
            return await FailAsync(context, ex.Error);
        }

        if (result is null)
        {
            return await FailAsync(context, new RequestError(RequestErrorKind.Internal, "The engine ended without a result.") { Code = "internal_error" });
        }

        var response = new ChatCompletionResponse
        {
            Id = NewId(),
            Created = timeProvider.GetUtcNow().ToUnixTimeSeconds(),
            Model = served.Id,
            Choices = [new ChatChoiceDto { Message = new AssistantMessageDto { Content = result.Text }, FinishReason = FinishReason(result) }],
            Usage = Usage(result),
        };
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, response, OpenAiJsonContext.Default.ChatCompletionResponse, context.RequestAborted);
        return null;
    }

    private async Task<RequestError?> StreamAsync(HttpContext context, ParsedChat chat, ServedModel served, EngineRequest request, string imageParam)
    {
        await using IAsyncEnumerator<GenerationDelta> deltas =
            EngineStream.RunAsync(served.Engine, request, imageParam, context.RequestAborted).GetAsyncEnumerator(context.RequestAborted);
        bool any;
        try
        {
            any = await deltas.MoveNextAsync();
        }
        catch (RequestErrorException ex)
        {
            return await FailAsync(context, ex.Error);
        }

        HttpResponse response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        string id = NewId();
        long created = timeProvider.GetUtcNow().ToUnixTimeSeconds();
        ChatCompletionChunk Chunk(DeltaDto delta, string? finish) => new()
        {
            Id = id,
            Created = created,
            Model = served.Id,
            Choices = [new ChunkChoiceDto { Delta = delta, FinishReason = finish }],
        };

        await WriteEventAsync(response, Chunk(new DeltaDto { Role = "assistant", Content = "" }, null), context.RequestAborted);
        try
        {
            while (any)
            {
                GenerationDelta delta = deltas.Current;
                if (delta.Text.Length > 0)
                {
                    await WriteEventAsync(response, Chunk(new DeltaDto { Content = delta.Text }, null), context.RequestAborted);
                }

                if (delta.Result is { } result)
                {
                    await WriteEventAsync(response, Chunk(new DeltaDto(), FinishReason(result)), context.RequestAborted);
                    if (chat.IncludeUsage)
                    {
                        await WriteEventAsync(response, new ChatCompletionChunk
                        {
                            Id = id,
                            Created = created,
                            Model = served.Id,
                            Choices = [],
                            Usage = Usage(result),
                        }, context.RequestAborted);
                    }

                    await response.Body.WriteAsync(Done, context.RequestAborted);
                    await response.Body.FlushAsync(context.RequestAborted);
                    return null;
                }

                any = await deltas.MoveNextAsync();
            }
        }
        catch (RequestErrorException ex)
        {
            if (ex.Error.Kind != RequestErrorKind.Cancelled)
            {
                LogRejected(logger, ex.Error.Kind, ex.Error.Message);
                await WriteErrorEventAsync(response, ex.Error, context.RequestAborted);
            }

            return ex.Error;
        }

        var missing = new RequestError(RequestErrorKind.Internal, "The engine ended without a result.") { Code = "internal_error" };
        await WriteErrorEventAsync(response, missing, context.RequestAborted);
        return missing;
    }

    private async Task<RequestError> FailAsync(HttpContext context, RequestError error)
    {
        if (error.Kind == RequestErrorKind.Cancelled && context.RequestAborted.IsCancellationRequested)
        {
            return error;
        }

        LogRejected(logger, error.Kind, error.Message);
        await OpenAiErrors.WriteAsync(context, error);
        return error;
    }

    private static async Task WriteEventAsync(HttpResponse response, ChatCompletionChunk chunk, CancellationToken cancellationToken)
    {
        await response.Body.WriteAsync(DataPrefix, cancellationToken);
        await JsonSerializer.SerializeAsync(response.Body, chunk, OpenAiJsonContext.Default.ChatCompletionChunk, cancellationToken);
        await response.Body.WriteAsync(EventEnd, cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    private static async Task WriteErrorEventAsync(HttpResponse response, RequestError error, CancellationToken cancellationToken)
    {
        await response.Body.WriteAsync(DataPrefix, cancellationToken);
        await JsonSerializer.SerializeAsync(response.Body, OpenAiErrors.ToDto(error), OpenAiJsonContext.Default.ErrorResponseDto, cancellationToken);
        await response.Body.WriteAsync(EventEnd, cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    private static string FinishReason(GenerationResult result) =>
        result.FinishReason == Inference.Generation.FinishReason.Length ? "length" : "stop";

    // OpenAI counts image input in prompt_tokens; here that is every decoder position of the prompt.
    private static UsageDto Usage(GenerationResult result) => new()
    {
        PromptTokens = result.PromptTokens,
        CompletionTokens = result.CompletionTokens,
    };

    private static string NewId() => "chatcmpl-" + Guid.NewGuid().ToString("N");

    private static RequestError BodyTooLarge(long maxBody) =>
        new(RequestErrorKind.PayloadTooLarge, $"The request body is larger than {maxBody} bytes (the image limit in base64 plus 1 MiB).")
        {
            Code = "request_too_large",
        };

    [LoggerMessage(Level = LogLevel.Error, Message = "Chat completion failed")]
    private static partial void LogFault(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Chat completion rejected ({Kind}): {Reason}")]
    private static partial void LogRejected(ILogger logger, RequestErrorKind kind, string reason);
}
