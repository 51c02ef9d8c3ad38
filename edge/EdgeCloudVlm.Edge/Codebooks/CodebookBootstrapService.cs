using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Edge.Hosting;
using EdgeCloudVlm.Edge.Pipeline;
using EdgeCloudVlm.Edge.State;
using EdgeCloudVlm.Edge.Telemetry;
using EdgeCloudVlm.Edge.Uplink;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.Edge.Codebooks;

/// <summary>
/// Makes a codebook active at start: a verified local file if there is one, else a pull from the cloud, retried with
/// backoff until it succeeds (frames go as JPEG meanwhile, when allowed). A pulled file that does not verify is
/// refused and not retried until the next start, since the cloud would serve the same bytes again.
/// </summary>
public sealed class CodebookBootstrapService(
    CodebookStore store,
    VisionHead head,
    IngestConnector connector,
    IOptions<CodecOptions> options,
    IOptions<EdgeOptions> edgeOptions,
    AgentStatus status,
    TimeProvider time,
    ILogger<CodebookBootstrapService> logger) : BackgroundService
{
    /// <summary>Loads local files synchronously so the first frames already use a local codebook.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        store.LoadLocal(head.Manifest);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (store.Codec is not null)
        {
            return;
        }

        if (!options.Value.PullMissing)
        {
            EdgeLog.NoCodebook(logger, "no local codebook verifies and Edge:Codec:PullMissing is off");
            status.RecordError("codebook", "no codebook: no local file verifies and pulling is off");
            return;
        }

        EdgeLog.NoCodebook(logger, "no local codebook verifies; pulling one from the cloud");
        var puller = new CodebookPuller(connector.Codebooks);
        TimeSpan delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            string wanted = "?";
            try
            {
                CodebookId? id = store.WantedId(head.Manifest);
                var call = new CallOptions(connector.CredentialHeaders(), cancellationToken: stoppingToken);
                id ??= await puller.ChooseAsync(ModelId(), head.HiddenDim, call);
                if (id is null)
                {
                    throw new CodebookRejectedException($"the cloud lists no codebook for model {ModelId()}");
                }

                wanted = id.Value.ToString();
                (Codec.Codebooks.Codebook codebook, string path) = await puller.PullAsync(id.Value, options.Value.Directory, call);
                store.Activate(codebook, head.HiddenDim, path);
                EdgeLog.CodebookPulled(logger, wanted, codebook.FileBytes.Length, path);
                return;
            }
            catch (CodebookRejectedException ex) when (ex.HashMismatch)
            {
                EdgeLog.CodebookRefused(logger, wanted, ex.Message);
                status.RecordError("codebook", ex.Message);
                return;
            }
            catch (Exception ex) when (ex is RpcException or IOException or CodebookRejectedException && !stoppingToken.IsCancellationRequested)
            {
                EdgeLog.CodebookPullFailed(logger, wanted, delay, ex.Message);
                status.RecordError("codebook", $"pulling codebook {wanted} failed: {ex.Message}");
                await Task.Delay(delay, time, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromMinutes(2).Ticks));
            }
        }
    }

    private string ModelId() => string.IsNullOrWhiteSpace(edgeOptions.Value.ModelId) ? head.Manifest.Name : edgeOptions.Value.ModelId;
}
