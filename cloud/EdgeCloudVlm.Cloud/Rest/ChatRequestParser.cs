using System.Text.Json;
using EdgeCloudVlm.Cloud.Requests;

namespace EdgeCloudVlm.Cloud.Rest;

/// <summary>A chat completion request reduced to what this model family answers: one image and one question.</summary>
internal sealed record ParsedChat(string? Model, string Question, string ImageUrl, string ImageParam, GenerationSettings Settings,
    bool Stream, bool IncludeUsage);

/// <summary>
/// Reads an OpenAI chat completion request. The models served answer one question about one image, so the request
/// must hold exactly one <c>image_url</c> part (in any message) and the question is the text of the last user
/// message; system and earlier messages do not reach the model's prompt template.
/// </summary>
internal static class ChatRequestParser
{
    private static readonly ParamNames RestNames = new("messages", "max_tokens", "temperature", "top_p", "top_k", "stop");

    public static RequestError? TryParse(ChatCompletionRequest request, out ParsedChat? parsed)
    {
        parsed = null;
        if (request.Messages is not { Count: > 0 } messages)
        {
            return RequestError.Invalid("'messages' must hold at least one message.", "messages", "missing_messages");
        }

        if (request.N is int n && n != 1)
        {
            return RequestError.Invalid($"n = {n} is not supported; this server returns one choice.", "n", "unsupported_n");
        }

        string? imageUrl = null;
        string imageParam = "";
        int images = 0;
        string? question = null;
        string questionParam = "messages";
        for (int m = 0; m < messages.Count; m++)
        {
            ChatMessageDto message = messages[m];
            if (string.IsNullOrEmpty(message.Role))
            {
                return RequestError.Invalid($"messages[{m}] has no role.", $"messages[{m}].role", "missing_role");
            }

            RequestError? error = ReadContent(message.Content, $"messages[{m}].content", out string text, ref images, ref imageUrl, ref imageParam);
            if (error is not null)
            {
                return error;
            }

            if (string.Equals(message.Role, "user", StringComparison.Ordinal))
            {
                question = text;
                questionParam = $"messages[{m}].content";
            }
        }

        if (images != 1)
        {
            return RequestError.Invalid(
                images == 0
                    ? "This model answers questions about exactly one image, and the request has none: add an image_url part with a data: URL."
                    : $"This model answers questions about exactly one image, and the request has {images}: send one image per request.",
                "messages", images == 0 ? "image_required" : "too_many_images");
        }

        if (string.IsNullOrWhiteSpace(question))
        {
            return RequestError.Invalid("The last user message has no text: ask a question about the image.", questionParam, "empty_question");
        }

        RequestError? stopError = ReadStop(request.Stop, out IReadOnlyList<string> stop);
        if (stopError is not null)
        {
            return stopError;
        }

        var settings = new GenerationSettings
        {
            MaxTokens = request.MaxCompletionTokens ?? request.MaxTokens,
            Temperature = request.Temperature,
            TopP = request.TopP,
            Seed = request.Seed,
            Stop = stop,
            Names = RestNames with
            {
                Question = questionParam,
                MaxTokens = request.MaxCompletionTokens is null ? "max_tokens" : "max_completion_tokens",
            },
        };
        parsed = new ParsedChat(request.Model, question, imageUrl!, imageParam, settings, request.Stream == true,
            request.StreamOptions?.IncludeUsage == true);
        return null;
    }

    private static RequestError? ReadContent(JsonElement? content, string param, out string text, ref int images, ref string? imageUrl, ref string imageParam)
    {
        text = "";
        if (content is not { } element || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind == JsonValueKind.String)
        {
            text = element.GetString() ?? "";
            return null;
        }

        if (element.ValueKind != JsonValueKind.Array)
        {
            return RequestError.Invalid($"{param} must be a string or an array of content parts.", param, "invalid_content");
        }

        var parts = new List<string>();
        int index = 0;
        foreach (JsonElement part in element.EnumerateArray())
        {
            string partParam = $"{param}[{index++}]";
            string? type = part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out JsonElement t) && t.ValueKind == JsonValueKind.String
                ? t.GetString()
                : null;
            switch (type)
            {
                case "text":
                    if (!part.TryGetProperty("text", out JsonElement value) || value.ValueKind != JsonValueKind.String)
                    {
                        return RequestError.Invalid($"{partParam} is a text part without a 'text' string.", $"{partParam}.text", "invalid_content");
                    }

                    parts.Add(value.GetString()!);
                    break;
                case "image_url":
                    string? url = null;
                    if (part.TryGetProperty("image_url", out JsonElement image))
                    {
                        url = image.ValueKind switch
                        {
                            JsonValueKind.Object when image.TryGetProperty("url", out JsonElement u) && u.ValueKind == JsonValueKind.String => u.GetString(),
                            JsonValueKind.String => image.GetString(),
                            _ => null,
                        };
                    }

                    if (string.IsNullOrEmpty(url))
                    {
                        return RequestError.Invalid($"{partParam} is an image_url part without a URL.", $"{partParam}.image_url.url", "invalid_image_url");
                    }

                    images++;
                    imageUrl = url;
                    imageParam = $"{partParam}.image_url.url";
                    break;
                default:
                    return RequestError.Invalid(
                        $"{partParam} has type '{type ?? "(none)"}'; only 'text' and 'image_url' parts are supported.", $"{partParam}.type",
                        "unsupported_content_part");
            }
        }

        text = string.Join(' ', parts);
        return null;
    }

    private static RequestError? ReadStop(JsonElement? stop, out IReadOnlyList<string> values)
    {
        values = [];
        if (stop is not { } element || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind == JsonValueKind.String)
        {
            values = [element.GetString()!];
            return null;
        }

        if (element.ValueKind == JsonValueKind.Array)
        {
            var list = new List<string>();
            foreach (JsonElement item in element.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String)
                {
                    return RequestError.Invalid("'stop' must be a string or an array of strings.", "stop", "invalid_stop");
                }

                list.Add(item.GetString()!);
            }

            values = list;
            return null;
        }

        return RequestError.Invalid("'stop' must be a string or an array of strings.", "stop", "invalid_stop");
    }
}
