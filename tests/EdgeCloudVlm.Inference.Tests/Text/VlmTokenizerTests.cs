using EdgeCloudVlm.Inference.Manifest;
using EdgeCloudVlm.Inference.Tests.Support;
using EdgeCloudVlm.Inference.Text;

namespace EdgeCloudVlm.Inference.Tests.Text;

public sealed class VlmTokenizerTests
{
    private static readonly Lazy<VlmTokenizer> Demo = new(() => VlmTokenizer.Create(ModelManifest.Load(ModelFolder.Path)));

    public static TheoryData<int> Samples => Golden.SampleIndices();

    [Theory]
    [MemberData(nameof(Samples))]
    public void BuildPrompt_GoldenQuestion_MatchesPythonIds(int sample)
    {
        GoldenSample s = Golden.Demo.Samples[sample];

        TokenizedPrompt prompt = Demo.Value.BuildPrompt(s.Question);

        Assert.Equal(s.PromptIds, prompt.Ids);
        Assert.Equal(s.ImageTokenIndex, prompt.ImageIndex);
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Decode_GoldenAnswerIds_MatchesPythonText(int sample)
    {
        GoldenSample s = Golden.Demo.Samples[sample];

        Assert.Equal(s.AnswerText, Demo.Value.Decode(s.AnswerIds));
    }

    [Fact]
    public void Encode_CaseUnderscoreDigitsAndPunctuation_FollowPythonSplitting()
    {
        // Python: WordTokenizer.encode("Is there a Red_cube?  ok, 3x.") == [13, 21, 22, 28, 1, 1, 7, 1, 9, 1, 8]
        VlmTokenizer t = Demo.Value;
        int Id(string token) => t.Encode(token)[0];

        IReadOnlyList<int> ids = t.Encode("Is there a Red_cube?  ok, 3x.");

        Assert.Equal(
            [Id("is"), Id("there"), Id("a"), Id("red"), t.UnknownId, t.UnknownId, Id("?"), t.UnknownId, Id(","), t.UnknownId, Id(".")],
            ids);
    }

    [Fact]
    public void Encode_SpecialTokenText_IsNotInjected()
    {
        VlmTokenizer t = Demo.Value;

        IReadOnlyList<int> ids = t.Encode("[EOS]");

        Assert.DoesNotContain(t.EosId, ids);
    }

    [Fact]
    public void Decode_SpacesBetweenAllTokens_LikePythonJoin()
    {
        VlmTokenizer t = Demo.Value;
        int[] ids = [.. t.Encode("red circle . and"), t.SeparatorId];

        Assert.Equal("red circle . and [SEP]", t.Decode(ids));
        Assert.Equal("", t.Decode([]));
    }

    [Fact]
    public void PromptTemplate_PlaceholderAfterQuestion_IndexCountsQuestion()
    {
        var special = new Dictionary<string, int> { ["[BOS]"] = 0, ["[IMG]"] = 1, ["[SEP]"] = 2 };
        var template = new PromptTemplate("[BOS] {question} [SEP] [IMG]", "[IMG]", special, _ => [9]);

        TokenizedPrompt prompt = template.Build([5, 6, 7]);

        Assert.Equal([0, 5, 6, 7, 2, 1], prompt.Ids);
        Assert.Equal(5, prompt.ImageIndex);
        Assert.Equal(6 - 1 + 10, prompt.ExpandedLength(10));
    }

    [Fact]
    public void PromptTemplate_PlainWords_AreTokenized()
    {
        var special = new Dictionary<string, int> { ["[IMG]"] = 1 };
        var template = new PromptTemplate("Q: [IMG] {question} A:", "[IMG]", special, text => [text.Length]);

        TokenizedPrompt prompt = template.Build([42]);

        Assert.Equal([2, 1, 42, 2], prompt.Ids);
    }

    [Theory]
    [InlineData("[BOS] [IMG] [SEP]")]
    [InlineData("[BOS] {question} [SEP]")]
    [InlineData("[IMG] [IMG] {question}")]
    [InlineData("[IMG] {question} {question}")]
    public void PromptTemplate_MissingOrRepeatedSlots_Rejected(string text)
    {
        var special = new Dictionary<string, int> { ["[BOS]"] = 0, ["[IMG]"] = 1, ["[SEP]"] = 2 };

        Assert.Throws<ModelLoadException>(() => new PromptTemplate(text, "[IMG]", special, _ => []));
    }
}
