using EdgeCloudVlm.Cloud.Codebooks;
using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.Cloud.Grpc;

/// <summary>The codebook catalogue and resumable downloads of the exact files, so edges encode with what the cloud
/// decodes with.</summary>
internal sealed class CodebooksGrpcService(CodebookRegistry registry, IOptions<CodebookRegistryOptions> options) : Contracts.V1.Codebooks.CodebooksBase
{
    private const int DefaultChunkBytes = 64 * 1024;
    private const int MinChunkBytes = 1024;

    public override Task<ListCodebooksResponse> List(ListCodebooksRequest request, ServerCallContext context)
    {
        var response = new ListCodebooksResponse();
        foreach (RegisteredCodebook codebook in registry.List(request.ModelId))
        {
            response.Codebooks.Add(ToInfo(codebook));
        }

        return Task.FromResult(response);
    }

    public override async Task Fetch(FetchCodebookRequest request, IServerStreamWriter<CodebookChunk> responseStream, ServerCallContext context)
    {
        if (!CodebookId.TryParse(request.Id, out CodebookId id))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"codebook id '{request.Id}' is not a 64-digit hex SHA-256"));
        }

        if (!registry.TryGet(id, out RegisteredCodebook? codebook))
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"codebook {id} is not held by this server"));
        }

        ReadOnlyMemory<byte> file = codebook.FileBytes;
        if (request.Offset > (ulong)file.Length)
        {
            throw new RpcException(new Status(StatusCode.OutOfRange,
                $"offset {request.Offset} is past the end of codebook {id} ({file.Length} bytes)"));
        }

        int chunk = request.ChunkSizeHint == 0
            ? Math.Min(DefaultChunkBytes, options.Value.MaxChunkBytes)
            : (int)Math.Clamp(request.ChunkSizeHint, (uint)MinChunkBytes, (uint)options.Value.MaxChunkBytes);
        int offset = (int)request.Offset;
        do
        {
            int length = Math.Min(chunk, file.Length - offset);
            bool last = offset + length == file.Length;
            var message = new CodebookChunk
            {
                Offset = (ulong)offset,
                Data = UnsafeByteOperations.UnsafeWrap(file.Slice(offset, length)),
                TotalSize = (ulong)file.Length,
            };
            if (last)
            {
                message.Sha256 = codebook.FileSha256;
            }

            await responseStream.WriteAsync(message, context.CancellationToken);
            offset += length;
        }
        while (offset < file.Length);
    }

    private static CodebookInfo ToInfo(RegisteredCodebook codebook)
    {
        CodebookDocument document = codebook.Codebook.Document;
        string configuration = document.Training.Configuration;
        string data = document.Training.DataDescription;
        return new CodebookInfo
        {
            Id = codebook.Id.ToString(),
            ModelId = codebook.ModelId,
            SplitName = document.SplitName,
            SplitLayer = (uint)(codebook.SplitLayer ?? 0),
            Tokens = (uint)(codebook.Tokens ?? 0),
            Dim = (uint)codebook.Codebook.Dimension,
            BitsPerTokenNominal = codebook.Codebook.NominalBitsPerToken,
            SizeBytes = (ulong)codebook.Codebook.FileBytes.Length,
            Description = string.IsNullOrEmpty(data) ? configuration : $"{configuration}; trained on {data}",
        };
    }
}
