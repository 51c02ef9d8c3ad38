using System.ClientModel;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using EdgeCloudVlm.Cloud.Tests.Support;
using OpenAI.Chat;

namespace EdgeCloudVlm.Cloud.Tests.Rest;

/// <summary>Refusals of the REST API: status codes and OpenAI's error shape.</summary>
[Collection(CloudCollection.Name)]
public sealed class ChatCompletionErrorsTests(CloudFixture cloud)
{
    [Fact]
    public async Task CompleteChat_UnknownModel_Is404ModelNotFound()
    {
        ChatClient client = OpenAiClients.Chat(cloud.InProcess, "no-such-model");

        ClientResultException error = await Assert.ThrowsAsync<ClientResultException>(
            () => client.CompleteChatAsync(OpenAiClients.Question(cloud.Model.ImageBytes(0), "what is it?")));

        Assert.Equal(404, error.Status);
        Assert.Contains("no-such-model", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostChatCompletions_UnknownModel_HasOpenAiErrorShape()
    {
        using HttpClient http = cloud.InProcess.CreateRestClient();

        (HttpStatusCode status, JsonElement error) = await PostAsync(http, ChatCompletionsTests.Body(cloud.Model, modelId: "gpt-4o"));

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal("model", error.GetProperty("param").GetString());
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
        Assert.Contains("gpt-4o", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostChatCompletions_NoApiKey_Is401()
    {
        using HttpClient http = cloud.InProcess.CreateRestClient(apiKey: null);

        using HttpResponseMessage response = await http.PostAsJsonAsync("/v1/chat/completions", ChatCompletionsTests.Body(cloud.Model));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task PostChatCompletions_EdgeKey_Is403()
    {
        using HttpClient http = cloud.InProcess.CreateRestClient(CloudFactory.EdgeKey);

        using HttpResponseMessage response = await http.PostAsJsonAsync("/v1/chat/completions", ChatCompletionsTests.Body(cloud.Model));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task PostChatCompletions_TwoImages_Is400NamingTheOneImageRule()
    {
        using HttpClient http = cloud.InProcess.CreateRestClient();
        string url = "data:image/png;base64," + Convert.ToBase64String(cloud.Model.ImageBytes(0));
        var body = new
        {
            model = cloud.Model.Id,
            messages = new object[]
            {
                new
                {
                    role = "user",
                    content = new object[]
                    {
                        new { type = "image_url", image_url = new { url } },
                        new { type = "text", text = "which is bigger?" },
                        new { type = "image_url", image_url = new { url } },
                    },
                },
            },
        };

        (HttpStatusCode status, JsonElement error) = await PostAsync(http, body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("too_many_images", error.GetProperty("code").GetString());
        Assert.Contains("exactly one image", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostChatCompletions_NoImage_Is400ImageRequired()
    {
        using HttpClient http = cloud.InProcess.CreateRestClient();
        var body = new { model = cloud.Model.Id, messages = new object[] { new { role = "user", content = "what color is the square?" } } };

        (HttpStatusCode status, JsonElement error) = await PostAsync(http, body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("image_required", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task PostChatCompletions_RemoteImageUrl_Is400WhileDisabled()
    {
        using HttpClient http = cloud.InProcess.CreateRestClient();

        (HttpStatusCode status, JsonElement error) = await PostAsync(http,
            ChatCompletionsTests.Body(cloud.Model, imageUrl: "https://example.com/cat.png"));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("remote_image_urls_disabled", error.GetProperty("code").GetString());
        Assert.Equal("messages[1].content[1].image_url.url", error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task PostChatCompletions_NotAnImage_Is400InvalidImage()
    {
        using HttpClient http = cloud.InProcess.CreateRestClient();

        (HttpStatusCode status, JsonElement error) = await PostAsync(http,
            ChatCompletionsTests.Body(cloud.Model, imageUrl: "data:image/png;base64," + Convert.ToBase64String(Encoding.ASCII.GetBytes("not a png at all"))));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("unsupported_image_format", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task PostChatCompletions_MalformedJson_Is400()
    {
        using HttpClient http = cloud.InProcess.CreateRestClient();
        using var content = new StringContent("{\"model\": \"shapes-vqa\", \"messages\": [", Encoding.UTF8, "application/json");

        using HttpResponseMessage response = await http.PostAsync("/v1/chat/completions", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("invalid_json", json.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task PostChatCompletions_TwoChoices_Is400()
    {
        using HttpClient http = cloud.InProcess.CreateRestClient();
        Dictionary<string, object?> body = ChatCompletionsTests.Body(cloud.Model);
        body["n"] = 2;

        (HttpStatusCode status, JsonElement error) = await PostAsync(http, body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("n", error.GetProperty("param").GetString());
    }

    internal static async Task<(HttpStatusCode Status, JsonElement Error)> PostAsync(HttpClient http, object body)
    {
        using HttpResponseMessage response = await http.PostAsJsonAsync("/v1/chat/completions", body);
        string text = await response.Content.ReadAsStringAsync();
        using JsonDocument json = JsonDocument.Parse(text);
        return (response.StatusCode, json.RootElement.GetProperty("error").Clone());
    }
}
