using EdgeCloudVlm.Cloud.Tests.Support;
using EdgeCloudVlm.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;

namespace EdgeCloudVlm.Cloud.Tests.Grpc;

/// <summary>Inference.Generate and ListModels, in process (test server handler) and over real HTTP/2.</summary>
[Collection(CloudCollection.Name)]
public sealed class InferenceGrpcTests(CloudFixture cloud)
{
    public static TheoryData<bool> Hosts => new() { false, true };

    private DemoModel Model => cloud.Model;

    private CloudFactory Host(bool kestrel) => kestrel ? cloud.Kestrel : cloud.InProcess;

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task Generate_Image_StreamsDeltasThenOneCompletion(bool kestrel)
    {
        byte[] image = Model.ImageBytes(4);
        var request = new GenerateRequest { ModelId = Model.Id, Prompt = Model.Question(4), Image = ByteString.CopyFrom(image) };

        List<GenerateResponse> responses = await CollectAsync(Host(kestrel).CreateInferenceClient(), request);

        Completion completion = responses[^1].Final;
        Assert.NotNull(completion);
        Assert.Equal(Model.AnswerForImage(image, Model.Question(4)), completion.Text);
        Assert.Equal(completion.Text, string.Concat(responses.Where(r => r.KindCase == GenerateResponse.KindOneofCase.Delta).Select(r => r.Delta.Text)));
        Assert.Single(responses, r => r.KindCase == GenerateResponse.KindOneofCase.Final);
        Assert.Equal((uint)Model.Tokens, completion.Usage.ImageTokens);
    }

    [Fact]
    public async Task Generate_CodecFrame_AnswersLikeThePipeline()
    {
        byte[] frame = Model.Frame(7);
        var request = new GenerateRequest
        {
            ModelId = Model.Id,
            Prompt = Model.Question(7),
            CodecFrame = new CodecFrame { CodebookId = Model.Codebook.Id.ToString(), Data = ByteString.CopyFrom(frame) },
        };

        List<GenerateResponse> responses = await CollectAsync(cloud.InProcess.CreateInferenceClient(), request);

        Assert.Equal(Model.AnswerForFrame(frame, Model.Question(7)), responses[^1].Final.Text);
    }

    [Fact]
    public async Task Generate_UnknownCodebook_IsFailedPreconditionNamingTheId()
    {
        string unknown = new string('b', 64);
        var request = new GenerateRequest
        {
            ModelId = Model.Id,
            Prompt = Model.Question(0),
            CodecFrame = new CodecFrame { CodebookId = unknown, Data = ByteString.CopyFrom(Model.Frame(0)) },
        };

        RpcException error = await Assert.ThrowsAsync<RpcException>(() => CollectAsync(cloud.InProcess.CreateInferenceClient(), request));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains(unknown, error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.UnknownCodebook, GrpcErrorDetails.Detail(error).Code);
    }

    [Fact]
    public async Task Generate_MalformedFrame_IsInvalidArgumentWithTheFrameStatus()
    {
        byte[] frame = Model.Frame(0);
        frame[^1] ^= 0xFF;
        var request = new GenerateRequest
        {
            ModelId = Model.Id,
            Prompt = Model.Question(0),
            CodecFrame = new CodecFrame { CodebookId = Model.Codebook.Id.ToString(), Data = ByteString.CopyFrom(frame) },
        };

        RpcException error = await Assert.ThrowsAsync<RpcException>(() => CollectAsync(cloud.InProcess.CreateInferenceClient(), request));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("ChecksumMismatch", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.InvalidFrame, GrpcErrorDetails.Detail(error).Code);
    }

    [Fact]
    public async Task Generate_CorruptImage_IsInvalidArgument()
    {
        var request = new GenerateRequest { ModelId = Model.Id, Prompt = "what is it?", Image = ByteString.CopyFromUtf8("GIF89a but not really") };

        RpcException error = await Assert.ThrowsAsync<RpcException>(() => CollectAsync(cloud.InProcess.CreateInferenceClient(), request));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(ErrorCode.InvalidImage, GrpcErrorDetails.Detail(error).Code);
    }

    [Fact]
    public async Task Generate_NoImage_IsInvalidArgument()
    {
        var request = new GenerateRequest { ModelId = Model.Id, Prompt = "what is it?" };

        RpcException error = await Assert.ThrowsAsync<RpcException>(() => CollectAsync(cloud.InProcess.CreateInferenceClient(), request));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("exactly one image", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_UnknownModel_IsNotFound()
    {
        var request = new GenerateRequest { ModelId = "llava-13b", Prompt = "what is it?", Image = ByteString.CopyFrom(Model.ImageBytes(0)) };

        RpcException error = await Assert.ThrowsAsync<RpcException>(() => CollectAsync(cloud.InProcess.CreateInferenceClient(), request));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal(ErrorCode.UnknownModel, GrpcErrorDetails.Detail(error).Code);
    }

    [Fact]
    public async Task Generate_EdgeKey_IsPermissionDenied()
    {
        var request = new GenerateRequest { ModelId = Model.Id, Prompt = "what is it?", Image = ByteString.CopyFrom(Model.ImageBytes(0)) };

        RpcException error = await Assert.ThrowsAsync<RpcException>(() => CollectAsync(cloud.InProcess.CreateInferenceClient(CloudFactory.EdgeKey), request));

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
    }

    [Fact]
    public async Task ListModels_DescribesTheDemoModelAndItsCodebooks()
    {
        ListModelsResponse response = await cloud.InProcess.CreateInferenceClient().ListModelsAsync(new ListModelsRequest());

        ModelInfo model = Assert.Single(response.Models);
        Assert.Equal(Model.Id, model.Id);
        Assert.Equal((uint)Model.Model.Manifest.Vision.SplitLayer, model.SplitLayer);
        Assert.Equal((uint)Model.Tokens, model.SplitTokens);
        Assert.Equal((uint)Model.Dim, model.SplitDim);
        Assert.Equal((uint)Model.Model.Manifest.LanguageModel.MaxPositions, model.ContextLength);
        Assert.Contains(Model.Codebook.Id.ToString(), model.CodebookIds);
        Assert.Contains(cloud.VariantCodebookId.ToString(), model.CodebookIds);
    }

    internal static async Task<List<GenerateResponse>> CollectAsync(Contracts.V1.Inference.InferenceClient client, GenerateRequest request)
    {
        using AsyncServerStreamingCall<GenerateResponse> call = client.Generate(request, deadline: DateTime.UtcNow.AddMinutes(2));
        var responses = new List<GenerateResponse>();
        await foreach (GenerateResponse response in call.ResponseStream.ReadAllAsync())
        {
            responses.Add(response);
        }

        return responses;
    }
}
