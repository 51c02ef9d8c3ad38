using System.Collections.Concurrent;
using EdgeCloudVlm.Edge.Pipeline;

namespace EdgeCloudVlm.Edge.Tests.Support;

/// <summary>An intake that records captures and answers each with what <see cref="Decide"/> says (spooled by default).</summary>
internal sealed class RecordingIntake : IFrameIntake
{
    public ConcurrentQueue<CaptureRequest> Requests { get; } = new();

    public Func<CaptureRequest, int, IntakeResult>? Decide { get; set; }

    public ValueTask EnqueueAsync(CaptureRequest request, CancellationToken cancellationToken)
    {
        Requests.Enqueue(request);
        int seen = Requests.Count(r => r.FrameId == request.FrameId);
        request.Complete(Decide?.Invoke(request, seen) ?? new IntakeResult(IntakeStatus.Spooled, request.FrameId));
        return ValueTask.CompletedTask;
    }
}
