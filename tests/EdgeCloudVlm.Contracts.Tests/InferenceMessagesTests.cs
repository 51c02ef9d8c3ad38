using EdgeCloudVlm.Contracts.V1;

namespace EdgeCloudVlm.Contracts.Tests;

public sealed class InferenceMessagesTests
{
    [Fact]
    public void GenerateRequest_WithImage_RoundTrips()
    {
        var request = new GenerateRequest
        {
            ModelId = "demo-vqa",
            Prompt = "What shape is on the left?",
            Image = Samples.Bytes(2048, 3),
            Parameters = Samples.Parameters(),
            RequestId = "req-1",
        };

        GenerateRequest parsed = ProtoRoundTrip.Binary(request);

        Assert.Equal(request, parsed);
        Assert.Equal(GenerateRequest.InputOneofCase.Image, parsed.InputCase);
    }

    [Fact]
    public void GenerateRequest_WithCodecFrame_RoundTrips()
    {
        var request = new GenerateRequest
        {
            ModelId = "demo-vqa",
            Prompt = "Is the square blue?",
            CodecFrame = new CodecFrame { CodebookId = Samples.CodebookId, Data = Samples.Bytes(900, 11) },
        };

        GenerateRequest parsed = ProtoRoundTrip.Binary(request);

        Assert.Equal(request, parsed);
        Assert.Equal(GenerateRequest.InputOneofCase.CodecFrame, parsed.InputCase);
        Assert.Equal(Samples.CodebookId, parsed.CodecFrame.CodebookId);
        Assert.True(parsed.Image.IsEmpty);
    }

    [Fact]
    public void GenerateRequest_TextOnly_HasNoInput()
    {
        GenerateRequest parsed = ProtoRoundTrip.Binary(new GenerateRequest { ModelId = "m", Prompt = "hi" });

        Assert.Equal(GenerateRequest.InputOneofCase.None, parsed.InputCase);
    }

    [Fact]
    public void GenerateResponse_DeltaAndFinal_RoundTrip()
    {
        var delta = new GenerateResponse { Delta = new TokenDelta { Text = "Two", TokenIndex = 0 } };
        var final = new GenerateResponse
        {
            Final = new Completion
            {
                Text = "Two.",
                FinishReason = FinishReason.Length,
                Usage = Samples.Usage(),
                Timings = Samples.Timings(),
            },
        };

        GenerateResponse parsedDelta = ProtoRoundTrip.Binary(delta);
        GenerateResponse parsedFinal = ProtoRoundTrip.Binary(final);

        Assert.Equal(GenerateResponse.KindOneofCase.Delta, parsedDelta.KindCase);
        Assert.Equal(delta, parsedDelta);
        Assert.Equal(GenerateResponse.KindOneofCase.Final, parsedFinal.KindCase);
        Assert.Equal(final, parsedFinal);
    }

    [Fact]
    public void ListModels_RequestAndResponse_RoundTrip()
    {
        var response = new ListModelsResponse
        {
            Models =
            {
                new ModelInfo
                {
                    Id = "llava-1.5-7b",
                    Description = "LLaVA-1.5 7B split after block 12",
                    SplitLayer = 12,
                    SplitTokens = 577,
                    SplitDim = 1024,
                    CodebookIds = { Samples.CodebookId },
                    ContextLength = 4096,
                },
                new ModelInfo { Id = "demo-vqa" },
            },
        };

        ListModelsResponse parsed = ProtoRoundTrip.Binary(response);
        ListModelsRequest parsedRequest = ProtoRoundTrip.Binary(new ListModelsRequest());

        Assert.Equal(response, parsed);
        Assert.Equal(2, parsed.Models.Count);
        Assert.Equal(new ListModelsRequest(), parsedRequest);
    }
}
