using System.Net;
using System.Text.Json;
using EdgeCloudVlm.Cloud.Rest;
using EdgeCloudVlm.Cloud.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeCloudVlm.Cloud.Tests.Rest;

/// <summary>With <c>Rest:AllowRemoteImageUrls</c> on, http(s) image URLs are fetched (here from a stub origin).</summary>
public sealed class RemoteImageTests(RemoteImageTests.RemoteHost host) : IClassFixture<RemoteImageTests.RemoteHost>
{
    [Fact]
    public async Task ChatCompletion_RemoteImageUrl_IsFetchedAndAnswered()
    {
        using HttpClient http = host.Cloud.CreateRestClient();

        using HttpResponseMessage response = await http.PostAsync("/v1/chat/completions",
            System.Net.Http.Json.JsonContent.Create(ChatCompletionsTests.Body(host.Model, item: 2, imageUrl: "https://images.example/scene.png")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(host.Model.AnswerForImage(host.Model.ImageBytes(2), host.Model.Question(2)),
            json.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
    }

    [Fact]
    public async Task ChatCompletion_RemoteImageMissing_Is400ImageFetchFailed()
    {
        using HttpClient http = host.Cloud.CreateRestClient();

        var (status, error) = await ChatCompletionErrorsTests.PostAsync(http,
            ChatCompletionsTests.Body(host.Model, imageUrl: "https://images.example/missing.png"));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("image_fetch_failed", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task ChatCompletion_NotHttpUrl_Is400()
    {
        using HttpClient http = host.Cloud.CreateRestClient();

        var (status, error) = await ChatCompletionErrorsTests.PostAsync(http, ChatCompletionsTests.Body(host.Model, imageUrl: "file:///etc/passwd"));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_image_url", error.GetProperty("code").GetString());
    }

    public sealed class RemoteHost : IAsyncLifetime
    {
        public RemoteHost()
        {
            Cloud = new CloudFactory(
                settings: new Dictionary<string, string?> { ["Rest:AllowRemoteImageUrls"] = "true" },
                services: s => s.AddHttpClient(RemoteImageFetcher.ClientName)
                    .ConfigurePrimaryHttpMessageHandler(() => new Origin(Model.ImageBytes(2))));
        }

        public DemoModel Model { get; } = new();

        public CloudFactory Cloud { get; }

        public async Task InitializeAsync() => await Cloud.StartAsync();

        public async Task DisposeAsync()
        {
            await Cloud.DisposeAsync();
            Model.Dispose();
        }
    }

    /// <summary>An image host serving one PNG at <c>/scene.png</c>.</summary>
    private sealed class Origin(byte[] png) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(request.RequestUri!.AbsolutePath == "/scene.png"
                ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(png) }
                : new HttpResponseMessage(HttpStatusCode.NotFound));
    }
}
