using System.Net;
using System.Net.Http.Headers;

namespace EdgeCloudVlm.Reliability.Tests.Support;

/// <summary>
/// One gRPC call as bytes on the wire (HTTP/2 with prior knowledge, one empty request message), so that every method
/// the server maps, whatever its shape, is called the same way; the result is the grpc-status the server sent, from the
/// headers (trailers-only responses, as refusals are) or from the trailers.
/// </summary>
internal static class RawGrpc
{
    public static async Task<(HttpStatusCode Http, int? GrpcStatus, string? Message)> CallAsync(
        HttpClient http, string path, Action<HttpRequestHeaders>? credentials, bool headersOnly = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(new byte[5]),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        credentials?.Invoke(request.Headers);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        if (Status(response.Headers) is { } early)
        {
            return (response.StatusCode, early, Message(response.Headers));
        }

        if (headersOnly)
        {
            return (response.StatusCode, null, null);
        }

        await response.Content.ReadAsByteArrayAsync(timeout.Token);
        return (response.StatusCode, Status(response.TrailingHeaders), Message(response.TrailingHeaders));
    }

    private static int? Status(HttpHeaders headers) =>
        headers.TryGetValues("grpc-status", out IEnumerable<string>? values) && int.TryParse(values.First(), out int status) ? status : null;

    private static string? Message(HttpHeaders headers) =>
        headers.TryGetValues("grpc-message", out IEnumerable<string>? values) ? Uri.UnescapeDataString(values.First()) : null;
}
