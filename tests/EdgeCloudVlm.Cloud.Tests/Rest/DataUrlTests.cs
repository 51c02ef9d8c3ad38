using EdgeCloudVlm.Cloud.Requests;
using EdgeCloudVlm.Cloud.Rest;

namespace EdgeCloudVlm.Cloud.Tests.Rest;

public sealed class DataUrlTests
{
    [Fact]
    public void TryDecode_Base64Image_ReturnsTheBytes()
    {
        byte[] bytes = [1, 2, 3, 4, 5, 250];

        RequestError? error = DataUrl.TryDecode("data:image/png;base64," + Convert.ToBase64String(bytes), 1024, "p", out byte[]? decoded);

        Assert.Null(error);
        Assert.Equal(bytes, decoded);
    }

    [Fact]
    public void TryDecode_NotBase64Encoded_IsInvalid()
    {
        RequestError? error = DataUrl.TryDecode("data:image/png,rawbytes", 1024, "p", out _);

        Assert.Equal("invalid_image_url", error?.Code);
    }

    [Fact]
    public void TryDecode_NotAnImageType_IsInvalidImage()
    {
        RequestError? error = DataUrl.TryDecode("data:text/plain;base64,aGVsbG8=", 1024, "p", out _);

        Assert.Equal(RequestErrorKind.InvalidImage, error?.Kind);
    }

    [Fact]
    public void TryDecode_LargerThanTheLimit_IsTooLargeBeforeDecoding()
    {
        string data = Convert.ToBase64String(new byte[4096]);

        RequestError? error = DataUrl.TryDecode("data:image/jpeg;base64," + data, 1024, "p", out byte[]? decoded);

        Assert.Equal(RequestErrorKind.PayloadTooLarge, error?.Kind);
        Assert.Equal("image_too_large", error?.Code);
        Assert.Null(decoded);
    }

    [Fact]
    public void TryDecode_BrokenBase64_IsInvalid()
    {
        RequestError? error = DataUrl.TryDecode("data:image/png;base64,@@@@", 1024, "p", out _);

        Assert.Equal("invalid_image_url", error?.Code);
    }
}
