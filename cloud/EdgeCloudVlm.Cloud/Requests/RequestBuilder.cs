using EdgeCloudVlm.Cloud.Engine;
using EdgeCloudVlm.Cloud.Models;
using EdgeCloudVlm.Inference.Generation;
using EdgeCloudVlm.Inference.Preprocessing;
using EdgeCloudVlm.Inference.Text;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.Cloud.Requests;

/// <summary>
/// The checks every front end applies before a request reaches an engine: image size and pixel count (read from the
/// header, before decoding), prompt length in tokens, output tokens and sampling values. Each limit has its own error
/// so the client knows which one it hit.
/// </summary>
internal sealed class RequestBuilder(IOptions<RequestLimitsOptions> limits, IOptions<EngineOptions> engine)
{
    /// <summary>The limits in force.</summary>
    public RequestLimitsOptions Limits => limits.Value;

    /// <summary>Checks an encoded image's size and header against the limits and the model's formats.</summary>
    public RequestError? CheckImage(ServedModel model, ReadOnlySpan<byte> encoded, string param)
    {
        RequestLimitsOptions limit = limits.Value;
        if (encoded.Length > limit.MaxImageBytes)
        {
            return new RequestError(RequestErrorKind.PayloadTooLarge,
                $"The image is {encoded.Length} bytes; the limit is {limit.MaxImageBytes} bytes.")
            {
                Param = param,
                Code = "image_too_large",
            };
        }

        try
        {
            ImageSourceInfo info = model.Model.Preprocessor.Identify(encoded);
            if ((long)info.Width * info.Height > limit.MaxImagePixels)
            {
                return TooManyPixels($"The image is {info.Width}x{info.Height} pixels; the limit is {limit.MaxImagePixels} pixels.", param);
            }

            return null;
        }
        catch (ImageRejectedException ex)
        {
            return FromRejectedImage(ex, param);
        }
    }

    /// <summary>The error for an image the preprocessor refused (here or inside the engine).</summary>
    public static RequestError FromRejectedImage(ImageRejectedException ex, string param) => ex.Reason switch
    {
        ImageRejectionReason.TooLarge => TooManyPixels(ex.Message, param),
        ImageRejectionReason.UnsupportedFormat => new RequestError(RequestErrorKind.InvalidImage, ex.Message)
        {
            Param = param,
            Code = "unsupported_image_format",
        },
        _ => new RequestError(RequestErrorKind.InvalidImage, $"The image cannot be decoded: {ex.Message}")
        {
            Param = param,
            Code = "invalid_image",
        },
    };

    /// <summary>Validates the question and settings and builds the engine request.</summary>
    public RequestError? TryBuild(
        ServedModel model,
        EngineImage image,
        string? question,
        GenerationSettings settings,
        DateTimeOffset? deadline,
        out EngineRequest? request)
    {
        request = null;
        RequestLimitsOptions limit = limits.Value;
        ParamNames names = settings.Names;
        if (string.IsNullOrWhiteSpace(question))
        {
            return RequestError.Invalid("The question is empty: ask something about the image.", names.Question, "empty_question");
        }

        // Refuse absurd text before tokenizing it: no prompt within the token limit is this long.
        long maxCharacters = (long)limit.MaxPromptTokens * MaxCharactersPerToken;
        if (question.Length > maxCharacters)
        {
            return new RequestError(RequestErrorKind.LimitExceeded,
                $"The question is {question.Length} characters; with a limit of {limit.MaxPromptTokens} prompt tokens at most {maxCharacters} are accepted.")
            {
                Param = names.Question,
                Code = "prompt_too_long",
            };
        }

        TokenizedPrompt prompt = model.Model.Tokenizer.BuildPrompt(question);
        int textTokens = prompt.Ids.Length - 1;
        if (textTokens > limit.MaxPromptTokens)
        {
            return new RequestError(RequestErrorKind.LimitExceeded,
                $"The prompt is {textTokens} tokens after the chat template; the limit is {limit.MaxPromptTokens} tokens.")
            {
                Param = names.Question,
                Code = "prompt_too_long",
            };
        }

        int positions = prompt.ExpandedLength(model.SplitTokens);
        int context = model.Model.Manifest.LanguageModel.MaxPositions;
        if (engine.Value.MaxSequenceTokens is int perSequence && (context <= 0 || perSequence < context))
        {
            context = perSequence;
        }

        if (context > 0 && positions >= context)
        {
            return new RequestError(RequestErrorKind.LimitExceeded,
                $"The prompt needs {positions} positions with the image; model '{model.Id}' has a context of {context}.")
            {
                Param = names.Question,
                Code = "context_length_exceeded",
            };
        }

        if (settings.MaxTokens is int max && (max < 1 || max > limit.MaxOutputTokens))
        {
            return new RequestError(max < 1 ? RequestErrorKind.InvalidRequest : RequestErrorKind.LimitExceeded,
                $"max_tokens is {max}; it must be between 1 and {limit.MaxOutputTokens}.")
            {
                Param = names.MaxTokens,
                Code = max < 1 ? "invalid_max_tokens" : "max_tokens_exceeded",
            };
        }

        if (settings.Temperature is float t && (!float.IsFinite(t) || t < 0f || t > 2f))
        {
            return RequestError.Invalid($"temperature is {t}; it must be between 0 and 2.", names.Temperature, "invalid_temperature");
        }

        if (settings.TopP is float p && (!float.IsFinite(p) || p <= 0f || p > 1f))
        {
            return RequestError.Invalid($"top_p is {p}; it must be greater than 0 and at most 1.", names.TopP, "invalid_top_p");
        }

        if (settings.TopK is < 0)
        {
            return RequestError.Invalid($"top_k is {settings.TopK}; it must be 0 or more.", names.TopK, "invalid_top_k");
        }

        if (settings.Stop.Count > limit.MaxStopSequences)
        {
            return RequestError.Invalid($"{settings.Stop.Count} stop sequences were given; at most {limit.MaxStopSequences} are allowed.",
                names.Stop, "too_many_stop_sequences");
        }

        foreach (string stop in settings.Stop)
        {
            if (string.IsNullOrEmpty(stop))
            {
                return RequestError.Invalid("Stop sequences must not be empty.", names.Stop, "invalid_stop");
            }
        }

        // The model's default (greedy, as it was evaluated) unless the client asks to sample.
        var sampling = new SamplingOptions
        {
            Temperature = settings.Temperature ?? 0f,
            TopP = settings.TopP ?? 1f,
            TopK = settings.TopK ?? 0,
            Seed = settings.Seed,
        };
        int defaultMax = Math.Min(model.Model.Manifest.Generation.MaxTokens > 0 ? model.Model.Manifest.Generation.MaxTokens : limit.MaxOutputTokens,
            limit.MaxOutputTokens);
        var options = new GenerationOptions
        {
            MaxTokens = settings.MaxTokens ?? defaultMax,
            StopSequences = settings.Stop,
            Sampling = sampling,
        };
        request = new EngineRequest(image, question, options) { Deadline = deadline };
        return null;
    }

    private const int MaxCharactersPerToken = 64;

    private static RequestError TooManyPixels(string message, string param) =>
        new(RequestErrorKind.PayloadTooLarge, message) { Param = param, Code = "image_too_many_pixels" };
}
