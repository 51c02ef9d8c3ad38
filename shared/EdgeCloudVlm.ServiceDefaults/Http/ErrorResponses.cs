using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace EdgeCloudVlm.ServiceDefaults.Http;

/// <summary>Writes the refusals of this library (401, 403, 429) in the caller's protocol: gRPC callers get a trailers-only
/// response with a gRPC status, everyone else a JSON body in OpenAI's error shape
/// (<c>{"error":{"message","type","code"}}</c>), which the OpenAI client libraries surface as the exception message.
/// </summary>
/// <remarks>A gRPC client maps a bare HTTP status by the gRPC spec's table, which turns 429 into UNAVAILABLE (and
/// Grpc.Net.Client does the same); answering in gRPC itself keeps RESOURCE_EXHAUSTED and our message.</remarks>
internal static class ErrorResponses
{
    /// <summary>gRPC status codes used here (grpc/doc/statuscodes.md).</summary>
    internal const int GrpcPermissionDenied = 7;
    internal const int GrpcResourceExhausted = 8;
    internal const int GrpcUnauthenticated = 16;

    /// <summary>True for gRPC over HTTP/2 (<c>application/grpc</c> and <c>application/grpc+proto</c> etc.), not gRPC-Web,
    /// whose status travels in the body.</summary>
    public static bool IsGrpc(HttpRequest request)
    {
        var contentType = request.ContentType;
        return contentType is not null
               && contentType.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase)
               && !contentType.StartsWith("application/grpc-web", StringComparison.OrdinalIgnoreCase);
    }

    public static Task WriteAsync(HttpContext context, int httpStatus, int grpcStatus, string type, string code, string message)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            return Task.CompletedTask;
        }

        if (IsGrpc(context.Request))
        {
            // Trailers-only: HTTP 200 and the status in the only header block; Kestrel ends the stream with it.
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/grpc";
            response.Headers["grpc-status"] = grpcStatus.ToString(CultureInfo.InvariantCulture);
            response.Headers["grpc-message"] = PercentEncode(message);
            return Task.CompletedTask;
        }

        response.StatusCode = httpStatus;
        response.ContentType = "application/json; charset=utf-8";
        return response.Body.WriteAsync(Body(message, type, code), context.RequestAborted).AsTask();
    }

    internal static byte[] Body(string message, string type, string code)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteStartObject("error");
            json.WriteString("message", message);
            json.WriteString("type", type);
            json.WriteString("code", code);
            json.WriteNull("param");
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return stream.ToArray();
    }

    /// <summary>grpc-message is percent-encoded UTF-8 for everything outside printable ASCII, and for '%'.</summary>
    internal static string PercentEncode(string message)
    {
        var builder = new StringBuilder(message.Length);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in message.EnumerateRunes())
        {
            if (rune.Value is >= 0x20 and <= 0x7E && rune.Value != '%')
            {
                builder.Append((char)rune.Value);
                continue;
            }

            var length = rune.EncodeToUtf8(utf8);
            for (var i = 0; i < length; i++)
            {
                builder.Append('%').Append(utf8[i].ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }
}
