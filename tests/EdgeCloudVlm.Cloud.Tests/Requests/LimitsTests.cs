using System.Net;
using EdgeCloudVlm.Cloud.Tests.Rest;
using EdgeCloudVlm.Cloud.Tests.Support;
using EdgeCloudVlm.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace EdgeCloudVlm.Cloud.Tests.Requests;

/// <summary>Each request limit, through the front ends, with its own error. The service runs with tiny limits.</summary>
public sealed class LimitsTests : IClassFixture<LimitsTests.TinyLimits>
{
    private readonly TinyLimits _host;

    public LimitsTests(TinyLimits host) => _host = host;

    [Fact]
    public async Task IngestFrame_LargerThanMaxFrameBytes_IsLimitExceededAndTheStreamGoesOn()
    {
        byte[] frame = _host.Model.Frame(0);
        Assert.True(frame.Length > TinyLimits.MaxFrameBytes);
        await using IngestSessionClient session = await IngestSessionClient.OpenAsync(_host.Cloud.CreateIngestClient());

        List<CloudEvent> events = await session.AskAsync(IngestSessionClient.CodecFrame("big-frame", _host.Model, frame, "what color is the square?"));
        CloudEvent pong = await PingAsync(session);

        Assert.Equal((uint)TinyLimits.MaxFrameBytes, session.HelloAck.MaxFrameBytes);
        ErrorDetail error = Assert.Single(events).Error;
        Assert.Equal(ErrorCode.LimitExceeded, error.Code);
        Assert.Contains($"{TinyLimits.MaxFrameBytes} bytes", error.Message, StringComparison.Ordinal);
        Assert.Equal(7ul, pong.Pong.Nonce);
    }

    [Fact]
    public async Task ChatCompletion_ImageLargerThanMaxImageBytes_Is413ImageTooLarge()
    {
        byte[] image = _host.Model.ImageBytes(0);
        Assert.True(image.Length > TinyLimits.MaxImageBytes);
        using HttpClient http = _host.Cloud.CreateRestClient();

        var (status, error) = await ChatCompletionErrorsTests.PostAsync(http, ChatCompletionsTests.Body(_host.Model));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("image_too_large", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task ChatCompletion_BodyBeyondWhatTheImageLimitAllows_Is413()
    {
        using HttpClient http = _host.Cloud.CreateRestClient();
        Dictionary<string, object?> body = ChatCompletionsTests.Body(_host.Model, imageUrl: "data:image/png;base64," + Convert.ToBase64String(SmallPng()));
        body["user"] = new string('u', 2 * 1024 * 1024);

        var (status, error) = await ChatCompletionErrorsTests.PostAsync(http, body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("request_too_large", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task ChatCompletion_ImageWithMorePixelsThanAllowed_Is413TooManyPixels()
    {
        using var image = new Image<Rgb24>(64, 64, new Rgb24(200, 40, 40));
        using var png = new MemoryStream();
        await image.SaveAsPngAsync(png);
        Assert.True(png.Length <= TinyLimits.MaxImageBytes);
        using HttpClient http = _host.Cloud.CreateRestClient();

        var (status, error) = await ChatCompletionErrorsTests.PostAsync(http,
            ChatCompletionsTests.Body(_host.Model, imageUrl: "data:image/png;base64," + Convert.ToBase64String(png.ToArray())));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("image_too_many_pixels", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Generate_ImageWithMorePixelsThanAllowed_IsInvalidArgumentLimitExceeded()
    {
        using var image = new Image<Rgb24>(64, 64, new Rgb24(200, 40, 40));
        using var png = new MemoryStream();
        await image.SaveAsPngAsync(png);
        var request = new GenerateRequest { ModelId = _host.Model.Id, Prompt = "what color is the square?", Image = ByteString.CopyFrom(png.ToArray()) };

        RpcException error = await Assert.ThrowsAsync<RpcException>(
            () => Grpc.InferenceGrpcTests.CollectAsync(_host.Cloud.CreateInferenceClient(), request));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(ErrorCode.LimitExceeded, GrpcErrorDetails.Detail(error).Code);
        Assert.Contains("pixels", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChatCompletion_PromptLongerThanMaxPromptTokens_Is400PromptTooLong()
    {
        using HttpClient http = _host.Cloud.CreateRestClient();
        Dictionary<string, object?> body = ChatCompletionsTests.Body(_host.Model, imageUrl: "data:image/png;base64," + Convert.ToBase64String(SmallPng()));
        body["messages"] = new object[]
        {
            new
            {
                role = "user",
                content = new object[]
                {
                    new { type = "text", text = string.Join(' ', Enumerable.Repeat("what color is the square", 4)) },
                    new { type = "image_url", image_url = new { url = "data:image/png;base64," + Convert.ToBase64String(SmallPng()) } },
                },
            },
        };

        var (status, error) = await ChatCompletionErrorsTests.PostAsync(http, body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("prompt_too_long", error.GetProperty("code").GetString());
        Assert.Contains($"limit is {TinyLimits.MaxPromptTokens} tokens", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_PromptLongerThanMaxPromptTokens_IsInvalidArgumentLimitExceeded()
    {
        var request = new GenerateRequest
        {
            ModelId = _host.Model.Id,
            Prompt = string.Join(' ', Enumerable.Repeat("what color is the square", 4)),
            Image = ByteString.CopyFrom(SmallPng()),
        };

        RpcException error = await Assert.ThrowsAsync<RpcException>(
            () => Grpc.InferenceGrpcTests.CollectAsync(_host.Cloud.CreateInferenceClient(), request));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(ErrorCode.LimitExceeded, GrpcErrorDetails.Detail(error).Code);
    }

    [Fact]
    public async Task ChatCompletion_MaxTokensAboveMaxOutputTokens_Is400()
    {
        using HttpClient http = _host.Cloud.CreateRestClient();
        Dictionary<string, object?> body = ChatCompletionsTests.Body(_host.Model, imageUrl: "data:image/png;base64," + Convert.ToBase64String(SmallPng()));
        body["max_completion_tokens"] = TinyLimits.MaxOutputTokens + 1;

        var (status, error) = await ChatCompletionErrorsTests.PostAsync(http, body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("max_tokens_exceeded", error.GetProperty("code").GetString());
        Assert.Equal("max_completion_tokens", error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task ChatCompletion_WithinAllLimits_IsAnswered()
    {
        using HttpClient http = _host.Cloud.CreateRestClient();
        Dictionary<string, object?> body = ChatCompletionsTests.Body(_host.Model, imageUrl: "data:image/png;base64," + Convert.ToBase64String(SmallPng()));
        body["max_tokens"] = TinyLimits.MaxOutputTokens;

        using HttpResponseMessage response = await http.PostAsync("/v1/chat/completions", System.Net.Http.Json.JsonContent.Create(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task<CloudEvent> PingAsync(IngestSessionClient session)
    {
        await session.SendAsync(new EdgeMessage { Ping = new Ping { Nonce = 7 } });
        return await session.WaitForSessionEventAsync(CloudEvent.KindOneofCase.Pong);
    }

    /// <summary>A 24 x 24 image: within the pixel and byte limits.</summary>
    private static byte[] SmallPng()
    {
        using var image = new Image<Rgb24>(24, 24, new Rgb24(40, 40, 200));
        using var png = new MemoryStream();
        image.SaveAsPng(png);
        return png.ToArray();
    }

    public sealed class TinyLimits : IAsyncLifetime
    {
        public const int MaxFrameBytes = 64;
        public const int MaxImageBytes = 2048;
        public const int MaxImagePixels = 1024;
        public const int MaxPromptTokens = 12;
        public const int MaxOutputTokens = 4;

        public DemoModel Model { get; } = new();

        public CloudFactory Cloud { get; } = new(settings: new Dictionary<string, string?>
        {
            ["Limits:MaxFrameBytes"] = MaxFrameBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Limits:MaxImageBytes"] = MaxImageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Limits:MaxImagePixels"] = MaxImagePixels.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Limits:MaxPromptTokens"] = MaxPromptTokens.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Limits:MaxOutputTokens"] = MaxOutputTokens.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

        public async Task InitializeAsync() => await Cloud.StartAsync();

        public async Task DisposeAsync()
        {
            await Cloud.DisposeAsync();
            Model.Dispose();
        }
    }
}
