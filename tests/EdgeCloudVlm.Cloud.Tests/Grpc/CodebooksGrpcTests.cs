using System.Security.Cryptography;
using EdgeCloudVlm.Cloud.Tests.Support;
using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Contracts.V1;
using Grpc.Core;

namespace EdgeCloudVlm.Cloud.Tests.Grpc;

[Collection(CloudCollection.Name)]
public sealed class CodebooksGrpcTests(CloudFixture cloud)
{
    [Fact]
    public async Task List_ReturnsTheManifestCodebookWithItsSplit()
    {
        ListCodebooksResponse response = await cloud.InProcess.CreateCodebooksClient().ListAsync(new ListCodebooksRequest { ModelId = cloud.Model.Id });

        CodebookInfo info = Assert.Single(response.Codebooks, c => c.Id == cloud.Model.Codebook.Id.ToString());
        Assert.Equal(cloud.Model.Id, info.ModelId);
        Assert.Equal((uint)cloud.Model.Dim, info.Dim);
        Assert.Equal((uint)cloud.Model.Tokens, info.Tokens);
        Assert.Equal((uint)cloud.Model.Model.Manifest.Vision.SplitLayer, info.SplitLayer);
        Assert.Equal((ulong)new FileInfo(cloud.Model.CodebookPath).Length, info.SizeBytes);
        Assert.Equal(cloud.Model.Codebook.NominalBitsPerToken, info.BitsPerTokenNominal);
    }

    [Fact]
    public async Task List_OtherModel_IsEmpty()
    {
        ListCodebooksResponse response = await cloud.InProcess.CreateCodebooksClient().ListAsync(new ListCodebooksRequest { ModelId = "other" });

        Assert.Empty(response.Codebooks);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Fetch_InChunks_RoundTripsTheExactFile(bool kestrel)
    {
        CloudFactory host = kestrel ? cloud.Kestrel : cloud.InProcess;
        string id = cloud.Model.Codebook.Id.ToString();

        List<CodebookChunk> chunks = await FetchAsync(host, new FetchCodebookRequest { Id = id, ChunkSizeHint = 4096 });

        byte[] file = [.. chunks.SelectMany(c => c.Data)];
        Assert.True(chunks.Count > 1);
        Assert.Equal(File.ReadAllBytes(cloud.Model.CodebookPath), file);
        Assert.All(chunks, c => Assert.Equal((ulong)file.Length, c.TotalSize));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(file)), chunks[^1].Sha256);
        Assert.All(chunks[..^1], c => Assert.Empty(c.Sha256));
        Assert.Equal(cloud.Model.Codebook.Id, CodebookFile.Load(file).Id);
    }

    [Fact]
    public async Task Fetch_FromOffset_ResumesThePartialDownload()
    {
        byte[] file = File.ReadAllBytes(cloud.Model.CodebookPath);
        int offset = file.Length / 3;

        List<CodebookChunk> chunks = await FetchAsync(cloud.InProcess,
            new FetchCodebookRequest { Id = cloud.Model.Codebook.Id.ToString(), Offset = (ulong)offset });

        Assert.Equal((ulong)offset, chunks[0].Offset);
        Assert.Equal(file[offset..], chunks.SelectMany(c => c.Data).ToArray());
    }

    [Fact]
    public async Task Fetch_UnknownId_IsNotFound()
    {
        RpcException error = await Assert.ThrowsAsync<RpcException>(
            () => FetchAsync(cloud.InProcess, new FetchCodebookRequest { Id = new string('c', 64) }));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
    }

    private static async Task<List<CodebookChunk>> FetchAsync(CloudFactory host, FetchCodebookRequest request)
    {
        using AsyncServerStreamingCall<CodebookChunk> call = host.CreateCodebooksClient().Fetch(request);
        var chunks = new List<CodebookChunk>();
        await foreach (CodebookChunk chunk in call.ResponseStream.ReadAllAsync())
        {
            chunks.Add(chunk);
        }

        return chunks;
    }
}
