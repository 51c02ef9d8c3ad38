using EdgeCloudVlm.Cloud.Ingest;
using EdgeCloudVlm.Contracts.V1;
using Grpc.Core;

namespace EdgeCloudVlm.Cloud.Grpc;

/// <summary>The edge ingest endpoint: one <see cref="IngestSession"/> per stream.</summary>
internal sealed class EdgeIngestGrpcService(IngestFrameServices services, ILogger<IngestSession> logger) : EdgeIngest.EdgeIngestBase
{
    public override async Task Stream(IAsyncStreamReader<EdgeMessage> requestStream, IServerStreamWriter<CloudEvent> responseStream, ServerCallContext context)
    {
        using var session = new IngestSession(services, responseStream, context, logger);
        await session.RunAsync(requestStream);
    }
}
