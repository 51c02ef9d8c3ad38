using EdgeCloudVlm.Contracts.V1;

namespace EdgeCloudVlm.Contracts.Tests;

public sealed class CodebooksMessagesTests
{
    [Fact]
    public void ListCodebooks_RequestAndResponse_RoundTrip()
    {
        var request = new ListCodebooksRequest { ModelId = "demo-vqa" };
        var response = new ListCodebooksResponse
        {
            Codebooks =
            {
                new CodebookInfo
                {
                    Id = Samples.CodebookId,
                    ModelId = "demo-vqa",
                    SplitName = "vit.block.2",
                    SplitLayer = 2,
                    Tokens = 65,
                    Dim = 128,
                    BitsPerTokenNominal = 12.0,
                    SizeBytes = 1_572_864,
                    CreatedAt = Samples.Time(30),
                    Description = "4 groups x 8 bits, 2 stages",
                },
            },
        };

        Assert.Equal(request, ProtoRoundTrip.Binary(request));
        ListCodebooksResponse parsed = ProtoRoundTrip.Binary(response);
        Assert.Equal(response, parsed);
        Assert.Equal(12.0, parsed.Codebooks[0].BitsPerTokenNominal);
    }

    [Fact]
    public void FetchCodebookRequest_WithResumeOffset_RoundTrips()
    {
        var request = new FetchCodebookRequest { Id = Samples.CodebookId, Offset = 65536, ChunkSizeHint = 32768 };

        FetchCodebookRequest parsed = ProtoRoundTrip.Binary(request);

        Assert.Equal(request, parsed);
        Assert.Equal(65536UL, parsed.Offset);
    }

    [Fact]
    public void CodebookChunk_LastChunkWithHash_RoundTrips()
    {
        var middle = new CodebookChunk { Offset = 0, Data = Samples.Bytes(1000, 2), TotalSize = 1500 };
        var last = new CodebookChunk
        {
            Offset = 1000,
            Data = Samples.Bytes(500, 4),
            TotalSize = 1500,
            Sha256 = Samples.CodebookId,
        };

        CodebookChunk parsedMiddle = ProtoRoundTrip.Binary(middle);
        CodebookChunk parsedLast = ProtoRoundTrip.Binary(last);

        Assert.Equal(middle, parsedMiddle);
        Assert.Equal(string.Empty, parsedMiddle.Sha256);
        Assert.Equal(last, parsedLast);
        Assert.Equal(Samples.CodebookId, parsedLast.Sha256);
    }
}
