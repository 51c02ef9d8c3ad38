using System.ClientModel;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using EdgeCloudVlm.Cloud.Tests.Support;
using OpenAI.Chat;

namespace EdgeCloudVlm.Cloud.Tests.Rest;

/// <summary>The OpenAI-compatible API, driven by the official OpenAI client, in process and on real Kestrel.</summary>
[Collection(CloudCollection.Name)]
public sealed class ChatCompletionsTests(CloudFixture cloud)
{
    public static TheoryData<bool> Hosts => new() { false, true };

    private CloudFactory Host(bool kestrel) => kestrel ? cloud.Kestrel : cloud.InProcess;

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task CompleteChat_ImageAsDataUrl_AnswersLikeThePipeline(bool kestrel)
    {
        DemoModel model = cloud.Model;
        ChatClient client = OpenAiClients.Chat(Host(kestrel), model.Id);
        for (int item = 0; item < 3; item++)
        {
            byte[] image = model.ImageBytes(item);
            string question = model.Question(item);

            ClientResult<ChatCompletion> result = await client.CompleteChatAsync(OpenAiClients.Question(image, question));

            ChatCompletion completion = result.Value;
            Assert.Equal(model.AnswerForImage(image, question), completion.Content[0].Text);
            Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
            Assert.Equal(model.Id, completion.Model);
            Assert.True(completion.Usage.OutputTokenCount >= 1);
            Assert.True(completion.Usage.InputTokenCount > model.Tokens, "prompt tokens include the image positions");
            Assert.Equal(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount);
        }
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task CompleteChatStreaming_ImageAsDataUrl_StreamsTheAnswerAndUsage(bool kestrel)
    {
        DemoModel model = cloud.Model;
        ChatClient client = OpenAiClients.Chat(Host(kestrel), model.Id);
        byte[] image = model.ImageBytes(1);
        string question = model.Question(1);

        var text = new System.Text.StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (StreamingChatCompletionUpdate update in client.CompleteChatStreamingAsync([OpenAiClients.Question(image, question)]))
        {
            foreach (ChatMessageContentPart part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.Equal(model.AnswerForImage(image, question), text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.True(usage.OutputTokenCount >= 1);
    }

    [Fact]
    public async Task CompleteChat_MaxTokensOne_StopsForLength()
    {
        DemoModel model = cloud.Model;
        ChatClient client = OpenAiClients.Chat(cloud.InProcess, model.Id);
        // An answer of more than one token, so a limit of one cuts it.
        int item = Enumerable.Range(0, model.Eval.Items.Count).First(i => model.Eval.Items[i].Answer.Contains(' ', StringComparison.Ordinal));

        ChatCompletion completion = await client.CompleteChatAsync([OpenAiClients.Question(model.ImageBytes(item), model.Question(item))],
            new ChatCompletionOptions { MaxOutputTokenCount = 1 });

        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
        Assert.Equal(1, completion.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task PostChatCompletions_StreamTrue_IsServerSentEventsEndingWithDone()
    {
        DemoModel model = cloud.Model;
        using HttpClient http = cloud.Kestrel.CreateRestClient();

        using HttpResponseMessage response = await http.PostAsJsonAsync("/v1/chat/completions", Body(model, stream: true, includeUsage: true));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        string[] events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1]);
        Assert.All(events, e => Assert.StartsWith("data: ", e, StringComparison.Ordinal));
        using JsonDocument first = JsonDocument.Parse(events[0]["data: ".Length..]);
        Assert.Equal("chat.completion.chunk", first.RootElement.GetProperty("object").GetString());
        Assert.Equal("assistant", first.RootElement.GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        using JsonDocument usage = JsonDocument.Parse(events[^2]["data: ".Length..]);
        Assert.Equal(0, usage.RootElement.GetProperty("choices").GetArrayLength());
        Assert.True(usage.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32() >= 1);
        using JsonDocument last = JsonDocument.Parse(events[^3]["data: ".Length..]);
        Assert.Equal("stop", last.RootElement.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task PostChatCompletions_StopAsArrayAndString_AreAccepted()
    {
        DemoModel model = cloud.Model;
        using HttpClient http = cloud.InProcess.CreateRestClient();
        string answer = model.AnswerForImage(model.ImageBytes(0), model.Question(0));
        string stop = answer[..1];

        Dictionary<string, object?> body = Body(model);
        body["stop"] = new[] { stop, "zzz" };
        using HttpResponseMessage array = await http.PostAsJsonAsync("/v1/chat/completions", body);
        body["stop"] = stop;
        using HttpResponseMessage single = await http.PostAsJsonAsync("/v1/chat/completions", body);

        foreach (HttpResponseMessage response in new[] { array, single })
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            JsonElement choice = json.RootElement.GetProperty("choices")[0];
            Assert.Equal("", choice.GetProperty("message").GetProperty("content").GetString());
            Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        }
    }

    [Fact]
    public async Task PostChatCompletions_SeededSampling_IsReproducible()
    {
        DemoModel model = cloud.Model;
        using HttpClient http = cloud.InProcess.CreateRestClient();
        Dictionary<string, object?> body = Body(model);
        body["temperature"] = 1.5;
        body["top_p"] = 0.9;
        body["seed"] = 1234;

        string first = await AnswerAsync(http, body);
        string second = await AnswerAsync(http, body);

        Assert.Equal(first, second);
    }

    [Fact]
    public async Task GetModels_ListsTheDemoModel()
    {
        using HttpClient http = cloud.InProcess.CreateRestClient();

        using JsonDocument list = JsonDocument.Parse(await http.GetStringAsync("/v1/models"));
        using HttpResponseMessage one = await http.GetAsync($"/v1/models/{cloud.Model.Id}");
        using HttpResponseMessage missing = await http.GetAsync("/v1/models/no-such-model");

        Assert.Equal("list", list.RootElement.GetProperty("object").GetString());
        Assert.Equal(cloud.Model.Id, list.RootElement.GetProperty("data")[0].GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    internal static Dictionary<string, object?> Body(DemoModel model, int item = 0, bool stream = false, bool includeUsage = false,
        string? imageUrl = null, string? modelId = null) => new()
    {
        ["model"] = modelId ?? model.Id,
        ["stream"] = stream,
        ["stream_options"] = includeUsage ? new { include_usage = true } : null,
        ["messages"] = new object[]
        {
            new { role = "system", content = "You answer questions about images." },
            new
            {
                role = "user",
                content = new object[]
                {
                    new { type = "text", text = model.Question(item) },
                    new { type = "image_url", image_url = new { url = imageUrl ?? "data:image/png;base64," + Convert.ToBase64String(model.ImageBytes(item)) } },
                },
            },
        },
    };

    private static async Task<string> AnswerAsync(HttpClient http, object body)
    {
        using HttpResponseMessage response = await http.PostAsJsonAsync("/v1/chat/completions", body);
        response.EnsureSuccessStatusCode();
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
    }
}
