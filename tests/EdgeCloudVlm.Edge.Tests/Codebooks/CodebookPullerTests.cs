using System.Security.Cryptography;
using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Contracts.V1;
using EdgeCloudVlm.Edge.Codebooks;
using EdgeCloudVlm.Edge.Tests.Support;
using Google.Protobuf;
using Grpc.Core;

namespace EdgeCloudVlm.Edge.Tests.Codebooks;

public sealed class CodebookPullerTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly byte[] _file = File.ReadAllBytes(Directory.GetFiles(Path.Combine(RepositoryLayout.DemoModel, "codebooks"), "*.avqcb")[0]);

    public void Dispose() => _temp.Dispose();

    private CodebookId RealId => CodebookFile.Load(_file).Id;

    [Fact]
    public async Task PullAsync_ServedInChunks_VerifiedAndSavedUnderItsId()
    {
        var client = new FakeCodebooksClient(_file, Sha(_file), chunk: 1000);

        (Codebook codebook, string path) = await new CodebookPuller(client).PullAsync(RealId, _temp.Path, default);

        Assert.Equal(RealId, codebook.Id);
        Assert.Equal(Path.Combine(_temp.Path, RealId + CodebookFile.Extension), path);
        Assert.Equal(_file, File.ReadAllBytes(path));
        Assert.True(client.Calls > 0);
    }

    [Fact]
    public async Task PullAsync_BytesAreAnotherCodebook_RefusedAsWrongHashAndNothingKept()
    {
        var client = new FakeCodebooksClient(_file, Sha(_file), chunk: 4096);
        var asked = CodebookId.FromBytes(Enumerable.Repeat((byte)0x42, 32).ToArray());

        CodebookRejectedException ex = await Assert.ThrowsAsync<CodebookRejectedException>(
            () => new CodebookPuller(client).PullAsync(asked, _temp.Path, default));

        Assert.True(ex.HashMismatch);
        Assert.Contains(asked.ToString(), ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_temp.Path));
    }

    [Fact]
    public async Task PullAsync_TransferCorrupted_RefusedByTheServersSha256()
    {
        byte[] corrupted = (byte[])_file.Clone();
        corrupted[corrupted.Length / 2] ^= 0xFF;
        var client = new FakeCodebooksClient(corrupted, Sha(_file), chunk: 4096);

        CodebookRejectedException ex = await Assert.ThrowsAsync<CodebookRejectedException>(
            () => new CodebookPuller(client).PullAsync(RealId, _temp.Path, default));

        Assert.Contains("the server announced", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_temp.Path));
    }

    [Fact]
    public async Task PullAsync_PartialDownloadLeftBehind_ResumesFromItsEnd()
    {
        string partial = Path.Combine(_temp.Path, RealId + CodebookFile.Extension + ".part");
        File.WriteAllBytes(partial, _file[..3000]);
        var client = new FakeCodebooksClient(_file, Sha(_file), chunk: 1000);

        (Codebook codebook, _) = await new CodebookPuller(client).PullAsync(RealId, _temp.Path, default);

        Assert.Equal(RealId, codebook.Id);
        Assert.Equal(3000UL, client.FirstOffset);
        Assert.False(File.Exists(partial));
    }

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Serves one file like the cloud's Codebooks.Fetch: chunks from the requested offset, the file's
    /// SHA-256 on the last one.</summary>
    private sealed class FakeCodebooksClient(byte[] file, string sha, int chunk) : Contracts.V1.Codebooks.CodebooksClient
    {
        public int Calls { get; private set; }

        public ulong? FirstOffset { get; private set; }

        public override AsyncServerStreamingCall<CodebookChunk> Fetch(FetchCodebookRequest request, CallOptions options)
        {
            Calls++;
            FirstOffset ??= request.Offset;
            var chunks = new List<CodebookChunk>();
            for (int offset = (int)request.Offset; offset < file.Length; offset += chunk)
            {
                int length = Math.Min(chunk, file.Length - offset);
                chunks.Add(new CodebookChunk
                {
                    Offset = (ulong)offset,
                    Data = ByteString.CopyFrom(file, offset, length),
                    TotalSize = (ulong)file.Length,
                    Sha256 = offset + length == file.Length ? sha : "",
                });
            }

            return new AsyncServerStreamingCall<CodebookChunk>(
                new ListReader(chunks), Task.FromResult(new Metadata()), () => Grpc.Core.Status.DefaultSuccess, () => [], () => { });
        }
    }

    private sealed class ListReader(List<CodebookChunk> items) : IAsyncStreamReader<CodebookChunk>
    {
        private int _index = -1;

        public CodebookChunk Current => items[_index];

        public Task<bool> MoveNext(CancellationToken cancellationToken) => Task.FromResult(++_index < items.Count);
    }
}
