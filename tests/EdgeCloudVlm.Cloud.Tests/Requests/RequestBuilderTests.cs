using EdgeCloudVlm.Cloud.Engine;
using EdgeCloudVlm.Cloud.Models;
using EdgeCloudVlm.Cloud.Requests;
using EdgeCloudVlm.Cloud.Tests.Support;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.Cloud.Tests.Requests;

public sealed class RequestBuilderTests(DemoModel demo) : IClassFixture<DemoModel>
{
    private readonly ServedModel _model = new(demo.Id, demo.Model, new FailingEngineFactory().Create(demo.Id, demo.Model), DateTimeOffset.UnixEpoch);

    [Fact]
    public void TryBuild_NoSettings_IsGreedyWithTheModelsAnswerLength()
    {
        RequestError? error = Builder().TryBuild(_model, Image(), "what color is the square?", new GenerationSettings(), null, out EngineRequest? request);

        Assert.Null(error);
        Assert.True(request!.Options.Sampling.IsGreedy);
        Assert.Equal(demo.Model.Manifest.Generation.MaxTokens, request.Options.MaxTokens);
        Assert.Null(request.Deadline);
    }

    [Fact]
    public void TryBuild_PromptBeyondTheEnginesSequenceLength_IsContextLengthExceeded()
    {
        int imageTokens = demo.Tokens;
        RequestBuilder builder = Builder(engine: new EngineOptions { MaxSequenceTokens = imageTokens + 4 });

        RequestError? error = builder.TryBuild(_model, Image(), "what color is the square?", new GenerationSettings(), null, out _);

        Assert.Equal("context_length_exceeded", error?.Code);
    }

    [Fact]
    public void TryBuild_QuestionFarLongerThanAnyAllowedPrompt_IsRefusedBeforeTokenizing()
    {
        RequestBuilder builder = Builder(new RequestLimitsOptions { MaxPromptTokens = 4 });

        RequestError? error = builder.TryBuild(_model, Image(), new string('x', 1000), new GenerationSettings(), null, out _);

        Assert.Equal("prompt_too_long", error?.Code);
        Assert.Contains("characters", error!.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-0.1f, null)]
    [InlineData(2.5f, null)]
    [InlineData(null, 0f)]
    [InlineData(null, 1.5f)]
    public void TryBuild_SamplingOutOfRange_IsInvalid(float? temperature, float? topP)
    {
        var settings = new GenerationSettings { Temperature = temperature, TopP = topP };

        RequestError? error = Builder().TryBuild(_model, Image(), "what color?", settings, null, out _);

        Assert.Equal(RequestErrorKind.InvalidRequest, error?.Kind);
        Assert.Equal(temperature is null ? "parameters.top_p" : "parameters.temperature", error?.Param);
    }

    [Fact]
    public void TryBuild_TooManyStopSequences_IsInvalid()
    {
        var settings = new GenerationSettings { Stop = ["a", "b", "c", "d", "e"] };

        RequestError? error = Builder().TryBuild(_model, Image(), "what color?", settings, null, out _);

        Assert.Equal("too_many_stop_sequences", error?.Code);
    }

    [Fact]
    public void CheckImage_UnknownFormat_IsInvalidImage()
    {
        RequestError? error = Builder().CheckImage(_model, "not an image"u8, "image");

        Assert.Equal(RequestErrorKind.InvalidImage, error?.Kind);
        Assert.Equal("image", error?.Param);
    }

    private EngineImage Image() => EngineImage.FromEncoded(demo.ImageBytes(0));

    private static RequestBuilder Builder(RequestLimitsOptions? limits = null, EngineOptions? engine = null) =>
        new(Options.Create(limits ?? new RequestLimitsOptions()), Options.Create(engine ?? new EngineOptions()));
}
