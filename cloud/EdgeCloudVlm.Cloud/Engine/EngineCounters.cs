namespace EdgeCloudVlm.Cloud.Engine;

/// <summary>
/// Running totals of where the scheduler's time goes, written by the scheduler thread only and read by benchmarks and
/// diagnostics. Times are in ticks of the engine's <see cref="TimeProvider"/>.
/// </summary>
internal sealed class EngineCounters
{
    private long _decodeSteps;
    private long _decodeRows;
    private long _decodeTicks;
    private long _decodeOrtTicks;
    private long _rebuilds;
    private long _prefixHits;
    private long _prefixMisses;
    private long _imagePasses;
    private long _imagesComputed;

    public EngineCounters(long timestampFrequency)
    {
        TimestampFrequency = timestampFrequency;
    }

    public long TimestampFrequency { get; }

    public void AddDecodeStep(int rows, long ticks, long ortTicks)
    {
        Interlocked.Increment(ref _decodeSteps);
        Interlocked.Add(ref _decodeRows, rows);
        Interlocked.Add(ref _decodeTicks, ticks);
        Interlocked.Add(ref _decodeOrtTicks, ortTicks);
    }

    public void AddRebuild() => Interlocked.Increment(ref _rebuilds);

    public void AddPrefixHit() => Interlocked.Increment(ref _prefixHits);

    public void AddPrefixMiss() => Interlocked.Increment(ref _prefixMisses);

    /// <summary>One batched pass of the image stage over <paramref name="images"/> images.</summary>
    public void AddImagePass(int images)
    {
        Interlocked.Increment(ref _imagePasses);
        Interlocked.Add(ref _imagesComputed, images);
    }

    public EngineCountersSnapshot Snapshot() => new(
        Interlocked.Read(ref _decodeSteps),
        Interlocked.Read(ref _decodeRows),
        ToTime(Interlocked.Read(ref _decodeTicks)),
        ToTime(Interlocked.Read(ref _decodeOrtTicks)),
        Interlocked.Read(ref _rebuilds),
        Interlocked.Read(ref _prefixHits),
        Interlocked.Read(ref _prefixMisses),
        Interlocked.Read(ref _imagePasses),
        Interlocked.Read(ref _imagesComputed));

    private TimeSpan ToTime(long ticks) => TimeSpan.FromSeconds((double)ticks / TimestampFrequency);
}

/// <summary>Totals since the engine started; subtract two snapshots for an interval.</summary>
/// <param name="DecodeSteps">Batched decode steps run.</param>
/// <param name="DecodeRows">Sequences summed over steps (rows of live sequences).</param>
/// <param name="DecodeTime">Wall time of the decode loop: preparing inputs, the decoder call, sampling and delivery.</param>
/// <param name="DecodeOrtTime">The part of <paramref name="DecodeTime"/> inside ONNX Runtime calls (embedding and decoder).</param>
/// <param name="Rebuilds">Times the batch cache was rebuilt because membership changed.</param>
/// <param name="PrefixHits">Requests whose image prefix came from the cache.</param>
/// <param name="PrefixMisses">Requests whose image went through the vision parts.</param>
/// <param name="ImagePasses">Successful passes of the image stage (vision parts and image-prefix prefill, batched).</param>
/// <param name="ImagesComputed">Images those passes computed.</param>
internal readonly record struct EngineCountersSnapshot(
    long DecodeSteps, long DecodeRows, TimeSpan DecodeTime, TimeSpan DecodeOrtTime, long Rebuilds, long PrefixHits, long PrefixMisses,
    long ImagePasses, long ImagesComputed)
{
    public static EngineCountersSnapshot operator -(EngineCountersSnapshot a, EngineCountersSnapshot b) => new(
        a.DecodeSteps - b.DecodeSteps,
        a.DecodeRows - b.DecodeRows,
        a.DecodeTime - b.DecodeTime,
        a.DecodeOrtTime - b.DecodeOrtTime,
        a.Rebuilds - b.Rebuilds,
        a.PrefixHits - b.PrefixHits,
        a.PrefixMisses - b.PrefixMisses,
        a.ImagePasses - b.ImagePasses,
        a.ImagesComputed - b.ImagesComputed);

    /// <summary>Share of decode-loop time spent inside ONNX Runtime.</summary>
    public double OrtFraction => DecodeTime > TimeSpan.Zero ? DecodeOrtTime / DecodeTime : double.NaN;
}
