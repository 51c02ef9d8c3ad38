using System.Threading.Channels;
using EdgeCloudVlm.Contracts.V1;
using EdgeCloudVlm.Edge.Spool;

namespace EdgeCloudVlm.Edge.Results;

/// <summary>A frame's final outcome on its way to the sinks. <paramref name="DroppedFrame"/> carries the frame for
/// drop notices, whose bytes the spool no longer holds.</summary>
public sealed record FrameOutcome(string FrameId, OutcomeStatus Status, Final? Final, ErrorDetail? Error, SpoolFrame? DroppedFrame = null);

/// <summary>Outcomes from the uplink (and drop notices from the spool writer) waiting for delivery. Bounded: the
/// in-flight window already bounds what the uplink can produce, and a stuck sink should slow the stream reader rather
/// than grow memory.</summary>
public sealed class OutcomeQueue
{
    private readonly Channel<FrameOutcome> _channel = Channel.CreateBounded<FrameOutcome>(new BoundedChannelOptions(1024)
    {
        FullMode = BoundedChannelFullMode.Wait,
        SingleReader = true,
    });

    public ChannelReader<FrameOutcome> Reader => _channel.Reader;

    public ValueTask EnqueueAsync(FrameOutcome outcome, CancellationToken cancellationToken) => _channel.Writer.WriteAsync(outcome, cancellationToken);
}
