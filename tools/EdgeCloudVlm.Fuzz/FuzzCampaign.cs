using System.Collections.Concurrent;
using System.Diagnostics;
using CsCheck;
using EdgeCloudVlm.Fuzz.Targets;

namespace EdgeCloudVlm.Fuzz;

/// <summary>What a campaign found on one target.</summary>
/// <param name="Target">Target name.</param>
/// <param name="Cases">Inputs run to the end.</param>
/// <param name="Accepted">Inputs the parser accepted.</param>
/// <param name="Rejected">Inputs the parser refused the documented way.</param>
/// <param name="Crashes">Inputs that made the target throw.</param>
/// <param name="Hangs">Inputs that ran longer than the hang limit.</param>
/// <param name="SlowestMilliseconds">Longest single case.</param>
/// <param name="Findings">The first few crashes and hangs, with their inputs in hex (cut at 256 bytes).</param>
public sealed record FuzzReport(
    string Target,
    long Cases,
    long Accepted,
    long Rejected,
    long Crashes,
    long Hangs,
    double SlowestMilliseconds,
    IReadOnlyList<string> Findings);

/// <summary>
/// Runs a target over a CsCheck generator for a number of cases and counts outcomes instead of stopping at the first
/// failure (use <see cref="Check.Sample{T}(Gen{T}, Action{T}, Action{string}?, string?, long, int, int, Func{T, string}?, ISampleLogger?)"/>
/// directly, as the property tests do, to have CsCheck shrink a failure). A case that runs past the hang limit is a
/// hang; a case that never ends is reported once the limit has passed three times over, and the campaign stops there.
/// </summary>
public static class FuzzCampaign
{
    private const int MaxFindings = 5;

    /// <summary>Runs <paramref name="cases"/> inputs from <paramref name="inputs"/> through <paramref name="target"/>.</summary>
    public static FuzzReport Run(IFuzzTarget target, Gen<byte[]> inputs, long cases, int threads, TimeSpan hangLimit, string? seed = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(inputs);
        long accepted = 0, rejected = 0, crashes = 0, hangs = 0, slowestTicks = 0;
        var findings = new ConcurrentQueue<string>();
        var running = new ConcurrentDictionary<int, (long Start, byte[] Input)>();

        void Record(string finding)
        {
            if (findings.Count < MaxFindings)
            {
                findings.Enqueue(finding);
            }
        }

        void RunOne(byte[] input)
        {
            int thread = Environment.CurrentManagedThreadId;
            long start = Stopwatch.GetTimestamp();
            running[thread] = (start, input);
            try
            {
                if (target.Run(input) == FuzzOutcome.Accepted)
                {
                    Interlocked.Increment(ref accepted);
                }
                else
                {
                    Interlocked.Increment(ref rejected);
                }
            }
            catch (Exception ex)
            {
                Interlocked.Increment(ref crashes);
                Record($"crash {ex.GetType().Name}: {ex.Message} | input {Hex(input)}");
            }
            finally
            {
                running.TryRemove(thread, out _);
                long elapsed = Stopwatch.GetTimestamp() - start;
                if (Stopwatch.GetElapsedTime(start) > hangLimit)
                {
                    Interlocked.Increment(ref hangs);
                    Record($"hang {Stopwatch.GetElapsedTime(start).TotalSeconds:F1} s | input {Hex(input)}");
                }

                long seen;
                while (elapsed > (seen = Interlocked.Read(ref slowestTicks)) && Interlocked.CompareExchange(ref slowestTicks, elapsed, seen) != seen)
                {
                }
            }
        }

        var campaign = Task.Factory.StartNew(
            () => inputs.Sample(RunOne, writeLine: null, seed: seed, iter: cases, threads: threads),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        while (!campaign.Wait(TimeSpan.FromSeconds(1)))
        {
            foreach ((long start, byte[] input) in running.Values)
            {
                if (Stopwatch.GetElapsedTime(start) > hangLimit * 3)
                {
                    // The case never ends: report it and leave its thread behind (a thread cannot be aborted).
                    Interlocked.Increment(ref hangs);
                    Record($"hang (never ended) | input {Hex(input)}");
                    return Report();
                }
            }
        }

        campaign.GetAwaiter().GetResult();
        return Report();

        FuzzReport Report() => new(
            target.Name,
            Interlocked.Read(ref accepted) + Interlocked.Read(ref rejected) + Interlocked.Read(ref crashes),
            Interlocked.Read(ref accepted),
            Interlocked.Read(ref rejected),
            Interlocked.Read(ref crashes),
            Interlocked.Read(ref hangs),
            Stopwatch.GetElapsedTime(0, Interlocked.Read(ref slowestTicks)).TotalMilliseconds,
            [.. findings]);
    }

    private static string Hex(byte[] input) =>
        Convert.ToHexStringLower(input.AsSpan(0, Math.Min(input.Length, 256))) + (input.Length > 256 ? $"... ({input.Length} bytes)" : "");
}
