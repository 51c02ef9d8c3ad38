using EdgeCloudVlm.Contracts.V1;
using Google.Protobuf.Reflection;
using Grpc.Core;

namespace EdgeCloudVlm.Contracts.Tests;

public sealed class ServiceDescriptorTests
{
    [Fact]
    public void EdgeIngest_Descriptor_HasOneBidirectionalStream()
    {
        ServiceDescriptor service = EdgeIngest.Descriptor;

        Assert.Equal("edgecloudvlm.v1.EdgeIngest", service.FullName);
        MethodDescriptor method = Assert.Single(service.Methods);
        Assert.Equal("Stream", method.Name);
        Assert.True(method.IsClientStreaming);
        Assert.True(method.IsServerStreaming);
        Assert.Equal(EdgeMessage.Descriptor, method.InputType);
        Assert.Equal(CloudEvent.Descriptor, method.OutputType);
    }

    [Fact]
    public void Inference_Descriptor_HasServerStreamingGenerateAndUnaryListModels()
    {
        ServiceDescriptor service = Inference.Descriptor;

        Assert.Equal("edgecloudvlm.v1.Inference", service.FullName);
        Assert.Equal(2, service.Methods.Count);
        MethodDescriptor generate = service.FindMethodByName("Generate");
        Assert.False(generate.IsClientStreaming);
        Assert.True(generate.IsServerStreaming);
        Assert.Equal(GenerateRequest.Descriptor, generate.InputType);
        Assert.Equal(GenerateResponse.Descriptor, generate.OutputType);
        MethodDescriptor list = service.FindMethodByName("ListModels");
        Assert.False(list.IsClientStreaming);
        Assert.False(list.IsServerStreaming);
        Assert.Equal(ListModelsResponse.Descriptor, list.OutputType);
    }

    [Fact]
    public void Codebooks_Descriptor_HasUnaryListAndServerStreamingFetch()
    {
        ServiceDescriptor service = Codebooks.Descriptor;

        Assert.Equal("edgecloudvlm.v1.Codebooks", service.FullName);
        Assert.Equal(2, service.Methods.Count);
        MethodDescriptor list = service.FindMethodByName("List");
        Assert.False(list.IsClientStreaming);
        Assert.False(list.IsServerStreaming);
        MethodDescriptor fetch = service.FindMethodByName("Fetch");
        Assert.False(fetch.IsClientStreaming);
        Assert.True(fetch.IsServerStreaming);
        Assert.Equal(FetchCodebookRequest.Descriptor, fetch.InputType);
        Assert.Equal(CodebookChunk.Descriptor, fetch.OutputType);
    }

    [Fact]
    public void BindService_EachService_RegistersGrpcMethodsWithMatchingTypes()
    {
        var binder = new RecordingBinder();

        EdgeIngest.BindService(binder, new IngestService());
        Inference.BindService(binder, new InferenceService());
        Codebooks.BindService(binder, new CodebooksService());

        Assert.Equal(
            new Dictionary<string, MethodType>
            {
                ["/edgecloudvlm.v1.EdgeIngest/Stream"] = MethodType.DuplexStreaming,
                ["/edgecloudvlm.v1.Inference/Generate"] = MethodType.ServerStreaming,
                ["/edgecloudvlm.v1.Inference/ListModels"] = MethodType.Unary,
                ["/edgecloudvlm.v1.Codebooks/List"] = MethodType.Unary,
                ["/edgecloudvlm.v1.Codebooks/Fetch"] = MethodType.ServerStreaming,
            },
            binder.Methods);
    }

    private sealed class IngestService : EdgeIngest.EdgeIngestBase;

    private sealed class InferenceService : Inference.InferenceBase;

    private sealed class CodebooksService : Codebooks.CodebooksBase;

    private sealed class RecordingBinder : ServiceBinderBase
    {
        public Dictionary<string, MethodType> Methods { get; } = [];

        public override void AddMethod<TRequest, TResponse>(
            Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler) =>
            Methods.Add(method.FullName, method.Type);

        public override void AddMethod<TRequest, TResponse>(
            Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler) =>
            Methods.Add(method.FullName, method.Type);

        public override void AddMethod<TRequest, TResponse>(
            Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler) =>
            Methods.Add(method.FullName, method.Type);

        public override void AddMethod<TRequest, TResponse>(
            Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler) =>
            Methods.Add(method.FullName, method.Type);
    }
}
