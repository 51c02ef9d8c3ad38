using EdgeCloudVlm.Cloud.Requests;

namespace EdgeCloudVlm.Cloud.Rest;

/// <summary>Decodes <c>data:[media type];base64,...</c> URLs (RFC 2397), checking the decoded size against the image
/// limit before allocating it.</summary>
internal static class DataUrl
{
    public static bool IsDataUrl(string url) => url.StartsWith("data:", StringComparison.OrdinalIgnoreCase);

    public static RequestError? TryDecode(string url, int maxBytes, string param, out byte[]? bytes)
    {
        bytes = null;
        int comma = url.IndexOf(',', StringComparison.Ordinal);
        if (comma < 0)
        {
            return RequestError.Invalid("The data: URL has no ',' before its data.", param, "invalid_image_url");
        }

        ReadOnlySpan<char> header = url.AsSpan(5, comma - 5);
        if (!header.EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
        {
            return RequestError.Invalid("The data: URL must be base64 encoded (data:image/png;base64,...).", param, "invalid_image_url");
        }

        ReadOnlySpan<char> mediaType = header[..^";base64".Length];
        if (!mediaType.IsEmpty && !mediaType.StartsWith("image/", StringComparison.OrdinalIgnoreCase))
        {
            return new RequestError(RequestErrorKind.InvalidImage, $"The data: URL holds '{mediaType}', not an image.")
            {
                Param = param,
                Code = "unsupported_image_format",
            };
        }

        ReadOnlySpan<char> data = url.AsSpan(comma + 1).Trim();
        long decodedLength = (long)data.Length / 4 * 3;
        if (decodedLength - 2 > maxBytes)
        {
            return new RequestError(RequestErrorKind.PayloadTooLarge,
                $"The image is about {decodedLength} bytes; the limit is {maxBytes} bytes.")
            {
                Param = param,
                Code = "image_too_large",
            };
        }

        var buffer = new byte[decodedLength];
        if (!Convert.TryFromBase64Chars(data, buffer, out int written))
        {
            return RequestError.Invalid("The data: URL's base64 data does not decode.", param, "invalid_image_url");
        }

        bytes = written == buffer.Length ? buffer : buffer.AsSpan(0, written).ToArray();
        return null;
    }
}
