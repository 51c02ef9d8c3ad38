using System.Security.Cryptography;
using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Contracts.V1;
using EdgeCloudVlm.Edge.Spool;
using Grpc.Core;

namespace EdgeCloudVlm.Edge.Codebooks;

/// <summary>
/// Downloads a codebook from the cloud's Codebooks service into <c>{folder}/{id}.avqcb</c>. An interrupted download
/// resumes from the partial file. Two checks before the file is kept: the bytes hash to the SHA-256 the server sends
/// with the last chunk (transfer intact), and <see cref="CodebookFile"/> finds that the content hashes to the
/// requested id (the right codebook); either failing deletes the download and throws.
/// </summary>
public sealed class CodebookPuller(Contracts.V1.Codebooks.CodebooksClient client)
{
    /// <summary>The first codebook the cloud lists for <paramref name="modelId"/> with tokens of <paramref name="dim"/>.</summary>
    public async Task<CodebookId?> ChooseAsync(string modelId, int dim, CallOptions callOptions)
    {
        ListCodebooksResponse list = await client.ListAsync(new ListCodebooksRequest { ModelId = modelId }, callOptions);
        foreach (CodebookInfo info in list.Codebooks)
        {
            if ((info.Dim == 0 || info.Dim == dim) && CodebookId.TryParse(info.Id, out CodebookId id))
            {
                return id;
            }
        }

        return null;
    }

    /// <exception cref="CodebookRejectedException">The download does not verify; nothing is kept.</exception>
    /// <exception cref="RpcException">The server refused or the call failed (a partial download is kept for resuming).</exception>
    public async Task<(Codebook Codebook, string Path)> PullAsync(CodebookId id, string folder, CallOptions callOptions)
    {
        Directory.CreateDirectory(folder);
        string final = System.IO.Path.Combine(folder, id + CodebookFile.Extension);
        string partial = final + ".part";
        try
        {
            await DownloadAsync(id, partial, callOptions);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.OutOfRange)
        {
            // The partial file is longer than the server's: it was of something else. Start over.
            File.Delete(partial);
            await DownloadAsync(id, partial, callOptions);
        }

        byte[] bytes = await File.ReadAllBytesAsync(partial, callOptions.CancellationToken);
        Codebook codebook;
        try
        {
            codebook = CodebookFile.Load(bytes, id);
        }
        catch (InvalidDataException ex)
        {
            File.Delete(partial);
            throw new CodebookRejectedException($"codebook downloaded as {id} refused: {ex.Message}", ex) { HashMismatch = true };
        }

        File.Move(partial, final, overwrite: true);
        DirectorySync.Flush(folder);
        return (codebook, final);
    }

    private async Task DownloadAsync(CodebookId id, string partial, CallOptions callOptions)
    {
        long offset = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        string? sha = null;
        using (var file = new FileStream(partial, FileMode.Append, FileAccess.Write, FileShare.None))
        {
            using AsyncServerStreamingCall<CodebookChunk> call = client.Fetch(new FetchCodebookRequest { Id = id.ToString(), Offset = (ulong)offset }, callOptions);
            while (await call.ResponseStream.MoveNext(callOptions.CancellationToken))
            {
                CodebookChunk chunk = call.ResponseStream.Current;
                if ((long)chunk.Offset != file.Length)
                {
                    throw new CodebookRejectedException($"the server sent codebook bytes at offset {chunk.Offset}, expected {file.Length}");
                }

                file.Write(chunk.Data.Span);
                if (!string.IsNullOrEmpty(chunk.Sha256))
                {
                    sha = chunk.Sha256;
                }
            }

            file.Flush(flushToDisk: true);
        }

        byte[] bytes = await File.ReadAllBytesAsync(partial, callOptions.CancellationToken);
        string actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (sha is null || !string.Equals(actual, sha, StringComparison.OrdinalIgnoreCase))
        {
            File.Delete(partial);
            throw new CodebookRejectedException(
                sha is null
                    ? $"the download of codebook {id} ended without the server's SHA-256"
                    : $"the download of codebook {id} hashes to {actual}, the server announced {sha}")
            {
                HashMismatch = sha is not null,
            };
        }
    }
}
