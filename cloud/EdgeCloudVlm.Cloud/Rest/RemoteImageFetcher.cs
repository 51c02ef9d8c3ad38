using EdgeCloudVlm.Cloud.Requests;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.Cloud.Rest;

/// <summary>Fetches <c>http(s)://</c> image URLs when <see cref="RestOptions.AllowRemoteImageUrls"/> is on, reading at
/// most the image byte limit.</summary>
internal sealed class RemoteImageFetcher(IHttpClientFactory clients, IOptions<RestOptions> options)
{
    public const string ClientName = "remote-images";

    public async Task<(byte[]? Bytes, RequestError? Error)> FetchAsync(string url, int maxBytes, string param, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            return (null, RequestError.Invalid("The image URL must be a data: URL (or http(s) when remote URLs are enabled).", param, "invalid_image_url"));
        }

        if (!options.Value.AllowRemoteImageUrls)
        {
            return (null, RequestError.Invalid(
                "Remote image URLs are disabled on this server; send the image inline as a data: URL (data:image/png;base64,...).",
                param, "remote_image_urls_disabled"));
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.RemoteImageTimeout);
        try
        {
            HttpClient client = clients.CreateClient(ClientName);
            using HttpResponseMessage response = await client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                return (null, FetchFailed($"fetching the image returned HTTP {(int)response.StatusCode}", param));
            }

            if (response.Content.Headers.ContentLength > maxBytes)
            {
                return (null, TooLarge(response.Content.Headers.ContentLength.Value, maxBytes, param));
            }

            await using Stream body = await response.Content.ReadAsStreamAsync(timeout.Token);
            using var buffer = new MemoryStream();
            byte[] chunk = new byte[81920];
            int read;
            while ((read = await body.ReadAsync(chunk, timeout.Token)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                {
                    return (null, TooLarge(buffer.Length + read, maxBytes, param));
                }

                buffer.Write(chunk, 0, read);
            }

            return (buffer.ToArray(), null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, FetchFailed($"fetching the image took longer than {options.Value.RemoteImageTimeout.TotalSeconds:F0} s", param));
        }
        catch (HttpRequestException ex)
        {
            return (null, FetchFailed($"fetching the image failed: {ex.Message}", param));
        }
    }

    private static RequestError FetchFailed(string message, string param) =>
        new(RequestErrorKind.InvalidImage, message) { Param = param, Code = "image_fetch_failed" };

    private static RequestError TooLarge(long length, int maxBytes, string param) =>
        new(RequestErrorKind.PayloadTooLarge, $"The image is at least {length} bytes; the limit is {maxBytes} bytes.")
        {
            Param = param,
            Code = "image_too_large",
        };
}
