using System.Threading.Channels;
using EdgeCloudVlm.Edge.Results;
using EdgeCloudVlm.Edge.Spool;
using EdgeCloudVlm.Edge.State;
using EdgeCloudVlm.Edge.Telemetry;
using EdgeCloudVlm.Edge.Uplink;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.Edge.Pipeline;

/// <summary>
/// intake queue → encoder workers → spool queue → spool writer (group commit) → <see cref="SendScheduler"/>.
/// Both queues are bounded channels that make writers wait, so at most IntakeCapacity + EncoderWorkers +
/// SpoolQueueCapacity images are held in memory whatever the inputs do; past the spool, frames wait on disk (bounded by
/// the spool's policy), never in memory.
/// </summary>
public sealed class FramePipeline : BackgroundService, IFrameIntake
{
    private readonly IFrameEncoder _encoder;
    private readonly FrameSpool _spool;
    private readonly SendScheduler _scheduler;
    private readonly OutcomeQueue _outcomes;
    private readonly PipelineOptions _options;
    private readonly EdgeTelemetry _telemetry;
    private readonly AgentStatus _status;
    private readonly TimeProvider _time;
    private readonly ILogger<FramePipeline> _logger;
    private readonly Channel<CaptureRequest> _intake;
    private readonly Channel<(CaptureRequest Request, SpoolFrame Frame)> _toSpool;
    private int _encoding;
    private int _held;
    private int _peakHeld;

    public FramePipeline(
        IFrameEncoder encoder,
        FrameSpool spool,
        SendScheduler scheduler,
        OutcomeQueue outcomes,
        IOptions<PipelineOptions> options,
        EdgeTelemetry telemetry,
        AgentStatus status,
        TimeProvider time,
        ILogger<FramePipeline> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _encoder = encoder;
        _spool = spool;
        _scheduler = scheduler;
        _outcomes = outcomes;
        _options = options.Value;
        _telemetry = telemetry;
        _status = status;
        _time = time;
        _logger = logger;
        _intake = Channel.CreateBounded<CaptureRequest>(new BoundedChannelOptions(_options.IntakeCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = _options.EncoderWorkers == 1,
        });
        _toSpool = Channel.CreateBounded<(CaptureRequest, SpoolFrame)>(new BoundedChannelOptions(_options.SpoolQueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
    }

    /// <summary>Captures waiting for an encoder.</summary>
    public int IntakeCount => _intake.Reader.Count;

    /// <summary>Encoded frames waiting for the spool writer.</summary>
    public int SpoolQueueCount => _toSpool.Reader.Count;

    /// <summary>Captures inside the pipeline (queued, encoding, or waiting to be written) right now.</summary>
    public int Held => Volatile.Read(ref _held);

    /// <summary>The most captures the pipeline ever held at once.</summary>
    public int PeakHeld => Volatile.Read(ref _peakHeld);

    /// <summary>The bound on <see cref="Held"/>: both queues plus one per encoder and the spool writer's batch.</summary>
    public int Capacity => _options.IntakeCapacity + _options.EncoderWorkers + _options.SpoolQueueCapacity + _options.MaxSpoolBatch;

    /// <summary>Waits while the intake queue is full: this is how a busy device slows its inputs.</summary>
    public async ValueTask EnqueueAsync(CaptureRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await _intake.Writer.WriteAsync(request, cancellationToken);
        int held = Interlocked.Increment(ref _held);
        int peak;
        while (held > (peak = Volatile.Read(ref _peakHeld)) && Interlocked.CompareExchange(ref _peakHeld, held, peak) != peak)
        {
        }
    }

    /// <summary>Enqueues and waits until the frame is spooled (or refused).</summary>
    public async Task<IntakeResult> SubmitAsync(CaptureRequest request, CancellationToken cancellationToken)
    {
        await EnqueueAsync(request, cancellationToken);
        return await request.Completion.WaitAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var workers = new List<Task>();
        for (int i = 0; i < _options.EncoderWorkers; i++)
        {
            workers.Add(Task.Run(() => EncodeLoopAsync(stoppingToken), CancellationToken.None));
        }

        Task writer = Task.Run(() => SpoolLoopAsync(stoppingToken), CancellationToken.None);
        try
        {
            await Task.WhenAll(workers);
        }
        finally
        {
            _toSpool.Writer.TryComplete();
            await writer;
        }
    }

    private async Task EncodeLoopAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _intake.Reader.WaitToReadAsync(stoppingToken))
            {
                while (_intake.Reader.TryRead(out CaptureRequest? request))
                {
                    Interlocked.Increment(ref _encoding);
                    try
                    {
                        EncodeResult result = _encoder.Encode(request, stoppingToken);
                        if (result.Frame is null)
                        {
                            Finish(request, new IntakeResult(result.FailureStatus, request.FrameId, result.FailureReason));
                            continue;
                        }

                        var frame = new SpoolFrame
                        {
                            CreatedAt = request.CapturedAt,
                            Source = request.Source,
                            CallbackUrl = request.CallbackUrl,
                            Frame = result.Frame,
                            Timings = result.Timings,
                        };
                        await _toSpool.Writer.WriteAsync((request, frame), stoppingToken);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        // One bad capture never stops the pipeline.
                        EdgeLog.EncodeFailed(_logger, request.FrameId, "pipeline", ex.Message);
                        _status.RecordError("pipeline", $"frame {request.FrameId}: {ex.Message}");
                        Finish(request, new IntakeResult(IntakeStatus.Refused, request.FrameId, ex.Message));
                    }
                    finally
                    {
                        Interlocked.Decrement(ref _encoding);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task SpoolLoopAsync(CancellationToken stoppingToken)
    {
        var batch = new List<(CaptureRequest Request, SpoolFrame Frame)>(_options.MaxSpoolBatch);
        try
        {
            while (await _toSpool.Reader.WaitToReadAsync(CancellationToken.None))
            {
                batch.Clear();
                while (batch.Count < _options.MaxSpoolBatch && _toSpool.Reader.TryRead(out (CaptureRequest, SpoolFrame) item))
                {
                    batch.Add(item);
                }

                await WriteBatchAsync(batch, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task WriteBatchAsync(List<(CaptureRequest Request, SpoolFrame Frame)> batch, CancellationToken stoppingToken)
    {
        long start = _time.GetTimestamp();
        SpoolAppendBatch appended;
        try
        {
            appended = _spool.Append(batch.ConvertAll(static b => b.Frame));
        }
        catch (IOException ex)
        {
            EdgeLog.SpoolWriteFailed(_logger, batch.Count, ex.Message);
            _status.RecordError("spool", $"writing {batch.Count} frames failed: {ex.Message}");
            foreach ((CaptureRequest request, SpoolFrame _) in batch)
            {
                Finish(request, new IntakeResult(IntakeStatus.Refused, request.FrameId, $"the spool could not be written: {ex.Message}"));
            }

            return;
        }

        _telemetry.Stage("spool", _time.GetElapsedTime(start));
        foreach (SpoolFrame dropped in appended.Dropped)
        {
            _scheduler.Completed(dropped.FrameId);
            await _outcomes.EnqueueAsync(new FrameOutcome(dropped.FrameId, OutcomeStatus.Dropped, null, null, dropped), stoppingToken);
        }

        var spooled = new List<SpoolEntry>(batch.Count);
        for (int i = 0; i < batch.Count; i++)
        {
            CaptureRequest request = batch[i].Request;
            SpoolAppendResult result = appended.Results[i];
            switch (result.Status)
            {
                case SpoolAppendStatus.Appended:
                    spooled.Add(result.Entry!);
                    _status.FrameTaken();
                    Finish(request, new IntakeResult(IntakeStatus.Spooled, request.FrameId, null, result.Entry));
                    break;
                case SpoolAppendStatus.Duplicate:
                    Finish(request, new IntakeResult(IntakeStatus.Duplicate, request.FrameId, result.Reason));
                    break;
                default:
                    _status.Refused();
                    Finish(request, new IntakeResult(IntakeStatus.Refused, request.FrameId, result.Reason));
                    break;
            }
        }

        _scheduler.Enqueue(spooled);
    }

    private void Finish(CaptureRequest request, IntakeResult result)
    {
        Interlocked.Decrement(ref _held);
        request.Complete(result);
    }
}
