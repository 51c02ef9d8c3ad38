using EdgeCloudVlm.Cloud.Frames;
using EdgeCloudVlm.Cloud.Idempotency;
using EdgeCloudVlm.Cloud.Models;
using EdgeCloudVlm.Cloud.Requests;
using EdgeCloudVlm.Cloud.Telemetry;
using EdgeCloudVlm.Contracts.V1;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.Cloud.Ingest;

/// <summary>What every ingest session shares: the models, frame decoding, request checks, the idempotency store of
/// finished frames, metrics and the clock.</summary>
internal sealed class IngestFrameServices(
    ModelCatalog catalog,
    FrameDecoder frames,
    RequestBuilder requests,
    IdempotencyStore<Final> outcomes,
    FrontEndMetrics metrics,
    IOptions<IngestOptions> options,
    TimeProvider timeProvider)
{
    public ModelCatalog Catalog { get; } = catalog;

    public FrameDecoder Frames { get; } = frames;

    public RequestBuilder Requests { get; } = requests;

    public IdempotencyStore<Final> Outcomes { get; } = outcomes;

    public FrontEndMetrics Metrics { get; } = metrics;

    public IngestOptions Options => options.Value;

    public TimeProvider Time { get; } = timeProvider;
}
