using EdgeCloudVlm.Cloud.Tests.Support;
using EdgeCloudVlm.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace EdgeCloudVlm.Cloud.Tests.Grpc;

/// <summary>Request messages that do not parse get INVALID_ARGUMENT naming the message type, on every kind of call.</summary>
[Collection(CloudCollection.Name)]
public sealed class StrictRequestParsingTests(CloudFixture cloud)
{
    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(static bytes => bytes, static bytes => bytes);

    public static TheoryData<string, byte[]> Unparsable => new()
    {
        { "not protobuf", [0xFF, 0xFF, 0xFF, 0xFF, 0x0F] },
        { "length past the end", [0x12, 0x40, 0x61] },
        { "string that is not UTF-8", StringField(2, [0xC3, 0x28, 0xFF, 0xFE]) },
    };

    [Theory]
    [MemberData(nameof(Unparsable))]
    public async Task Generate_UnparsableRequest_IsInvalidArgument(string name, byte[] message)
    {
        using GrpcChannel channel = cloud.Kestrel.CreateGrpcChannel(CloudFactory.ApplicationKey);
        var method = new Method<byte[], byte[]>(MethodType.ServerStreaming, Contracts.V1.Inference.Descriptor.FullName, "Generate", Raw, Raw);
        using AsyncServerStreamingCall<byte[]> call = channel.CreateCallInvoker().AsyncServerStreamingCall(method, null, new CallOptions(), message);

        RpcException error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());

        Assert.True(error.StatusCode == StatusCode.InvalidArgument, $"{name}: {error.Status}");
        Assert.Contains(nameof(GenerateRequest), error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IngestStream_UnparsableMessage_IsInvalidArgument()
    {
        using GrpcChannel channel = cloud.Kestrel.CreateGrpcChannel(CloudFactory.EdgeKey);
        var method = new Method<byte[], byte[]>(MethodType.DuplexStreaming, EdgeIngest.Descriptor.FullName, "Stream", Raw, Raw);
        using AsyncDuplexStreamingCall<byte[], byte[]> call = channel.CreateCallInvoker().AsyncDuplexStreamingCall(method, null, new CallOptions());

        await call.RequestStream.WriteAsync([0xFF, 0xFF, 0xFF, 0xFF, 0x0F]);
        RpcException error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(nameof(EdgeMessage), error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidRequest_StillReachesItsHandler()
    {
        ListModelsResponse models = await cloud.Kestrel.CreateInferenceClient().ListModelsAsync(new ListModelsRequest());

        Assert.Contains(models.Models, m => m.Id == cloud.Model.Id);
    }

    private static byte[] StringField(int field, byte[] value)
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(value));
        output.Flush();
        return stream.ToArray();
    }
}
