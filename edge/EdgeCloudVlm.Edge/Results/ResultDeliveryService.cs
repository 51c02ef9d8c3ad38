using EdgeCloudVlm.Edge.Spool;
using EdgeCloudVlm.Edge.State;
using EdgeCloudVlm.Edge.Telemetry;
using EdgeCloudVlm.Edge.Uplink;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeCloudVlm.Edge.Results;

/// <summary>
/// Takes outcomes off the <see cref="OutcomeQueue"/> and delivers them one at a time. After a commit the frame is
/// forgotten by the scheduler and queued for an Ack; when delivery fails (results file unwritable, disk full) nothing
/// was committed, so the frame is asked for again later and the cloud replays its stored answer.
/// </summary>
public sealed class ResultDeliveryService(
    OutcomeQueue queue,
    ResultDispatcher dispatcher,
    FrameSpool spool,
    SendScheduler scheduler,
    AckQueue acks,
    AgentStatus status,
    ILogger<ResultDeliveryService> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (FrameOutcome outcome in queue.Reader.ReadAllAsync(stoppingToken))
            {
                await DeliverAsync(outcome, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    internal async Task DeliverAsync(FrameOutcome outcome, CancellationToken cancellationToken)
    {
        string id = outcome.FrameId;
        try
        {
            SpoolFrame? frame = outcome.DroppedFrame;
            if (frame is null)
            {
                if (!spool.TryGetPending(id, out SpoolEntry? entry))
                {
                    // Already delivered (a repeated Final) or dropped meanwhile.
                    scheduler.Completed(id);
                    return;
                }

                frame = spool.Read(entry!);
            }

            if (await dispatcher.DeliverAsync(frame, outcome.Status, outcome.Final, outcome.Error, cancellationToken))
            {
                status.ResultDelivered();
            }

            scheduler.Completed(id);
            if (outcome.DroppedFrame is null)
            {
                acks.Add(id);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            EdgeLog.DeliveryFailed(logger, id, RetryDelay, ex.Message);
            status.RecordError("results", $"frame {id}: {ex.Message}");
            scheduler.Retry(id, RetryDelay);
        }
    }
}
