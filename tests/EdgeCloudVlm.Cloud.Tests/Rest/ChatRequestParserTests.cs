using System.Text.Json;
using EdgeCloudVlm.Cloud.Requests;
using EdgeCloudVlm.Cloud.Rest;

namespace EdgeCloudVlm.Cloud.Tests.Rest;

public sealed class ChatRequestParserTests
{
    private const string Image = "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,AAAA\"}}";

    [Fact]
    public void TryParse_QuestionIsTheLastUserMessage()
    {
        ParsedChat chat = Parse($$"""
            {"model":"m","messages":[
              {"role":"system","content":"be brief"},
              {"role":"user","content":[{"type":"text","text":"first question"},{{Image}}]},
              {"role":"assistant","content":"red"},
              {"role":"user","content":"and how many objects are there?"}]}
            """);

        Assert.Equal("and how many objects are there?", chat.Question);
        Assert.Equal("data:image/png;base64,AAAA", chat.ImageUrl);
        Assert.Equal("messages[1].content[1].image_url.url", chat.ImageParam);
    }

    [Fact]
    public void TryParse_MaxCompletionTokens_WinsOverMaxTokens()
    {
        ParsedChat chat = Parse($$"""{"messages":[{"role":"user","content":[{"type":"text","text":"q"},{{Image}}]}],"max_tokens":9,"max_completion_tokens":3}""");

        Assert.Equal(3, chat.Settings.MaxTokens);
        Assert.Equal("max_completion_tokens", chat.Settings.Names.MaxTokens);
    }

    [Theory]
    [InlineData("\"end\"", new[] { "end" })]
    [InlineData("[\"a\",\"b\"]", new[] { "a", "b" })]
    public void TryParse_Stop_AcceptsAStringOrAnArray(string stop, string[] expected)
    {
        ParsedChat chat = Parse($$"""{"stop":{{stop}},"messages":[{"role":"user","content":[{"type":"text","text":"q"},{{Image}}]}]}""");

        Assert.Equal(expected, chat.Settings.Stop);
    }

    [Fact]
    public void TryParse_SamplingAndStreamOptions_AreRead()
    {
        ParsedChat chat = Parse($$"""
            {"messages":[{"role":"user","content":[{"type":"text","text":"q"},{{Image}}]}],
             "temperature":0.5,"top_p":0.8,"seed":7,"stream":true,"stream_options":{"include_usage":true} }
            """);

        Assert.Equal(0.5f, chat.Settings.Temperature);
        Assert.Equal(0.8f, chat.Settings.TopP);
        Assert.Equal(7, chat.Settings.Seed);
        Assert.True(chat.Stream);
        Assert.True(chat.IncludeUsage);
    }

    [Theory]
    [InlineData("""{"messages":[]}""", "missing_messages")]
    [InlineData("""{"messages":[{"role":"user","content":"no image here"}]}""", "image_required")]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}]}""", "unsupported_content_part")]
    [InlineData("""{"messages":[{"content":"x"}]}""", "missing_role")]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}]}""", "empty_question")]
    [InlineData("""{"messages":[{"role":"user","content":[{"type":"text","text":"q"},{"type":"image_url","image_url":{"url":"data:,"}}]}],"stop":5}""", "invalid_stop")]
    public void TryParse_InvalidRequest_NamesTheProblem(string json, string code)
    {
        RequestError? error = ChatRequestParser.TryParse(Deserialize(json), out _);

        Assert.Equal(code, error?.Code);
    }

    private static ParsedChat Parse(string json)
    {
        RequestError? error = ChatRequestParser.TryParse(Deserialize(json), out ParsedChat? chat);
        Assert.Null(error);
        return chat!;
    }

    private static ChatCompletionRequest Deserialize(string json) =>
        JsonSerializer.Deserialize(json, OpenAiJsonContext.Default.ChatCompletionRequest)!;
}
