using System.Globalization;
using System.Text.Json;
using EdgeCloudVlm.Cloud.Requests;

namespace EdgeCloudVlm.Cloud.Rest;

/// <summary>Writes a <see cref="RequestError"/> as OpenAI's error JSON (<c>{"error":{"message","type","param","code"}}</c>)
/// with the matching HTTP status and, when retrying helps, a <c>Retry-After</c> header.</summary>
internal static class OpenAiErrors
{
    public static int StatusCode(RequestErrorKind kind) => kind switch
    {
        RequestErrorKind.UnknownModel => StatusCodes.Status404NotFound,
        RequestErrorKind.PayloadTooLarge => StatusCodes.Status413PayloadTooLarge,
        RequestErrorKind.Overloaded => StatusCodes.Status429TooManyRequests,
        RequestErrorKind.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
        RequestErrorKind.Cancelled => StatusCodes.Status499ClientClosedRequest,
        RequestErrorKind.NotReady => StatusCodes.Status503ServiceUnavailable,
        RequestErrorKind.PermissionDenied => StatusCodes.Status403Forbidden,
        RequestErrorKind.Internal => StatusCodes.Status500InternalServerError,
        _ => StatusCodes.Status400BadRequest,
    };

    public static ErrorResponseDto ToDto(RequestError error) => new()
    {
        Error = new ErrorDto
        {
            Message = error.Message,
            Type = ErrorType(StatusCode(error.Kind)),
            Param = error.Param,
            Code = error.Code,
        },
    };

    /// <summary>OpenAI's <c>type</c> for a status code.</summary>
    public static string ErrorType(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => "authentication_error",
        StatusCodes.Status403Forbidden => "permission_error",
        StatusCodes.Status429TooManyRequests => "rate_limit_error",
        StatusCodes.Status504GatewayTimeout => "timeout_error",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };

    public static async Task WriteAsync(HttpContext context, RequestError error)
    {
        HttpResponse response = context.Response;
        response.StatusCode = StatusCode(error.Kind);
        if (error.RetryAfter is { } retryAfter)
        {
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(response.Body, ToDto(error), OpenAiJsonContext.Default.ErrorResponseDto, context.RequestAborted);
    }
}
