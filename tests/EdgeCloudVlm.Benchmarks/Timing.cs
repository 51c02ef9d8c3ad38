using System.Diagnostics;

namespace EdgeCloudVlm.Benchmarks;

/// <summary>Median wall time of repeated runs after warm-up: robust to the odd slow run on a shared machine.</summary>
internal static class Timing
{
    public static double MedianMilliseconds(Action action, int warmup, int repetitions)
    {
        for (var i = 0; i < warmup; i++)
        {
            action();
        }

        var samples = new double[repetitions];
        for (var i = 0; i < repetitions; i++)
        {
            var start = Stopwatch.GetTimestamp();
            action();
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        return Percentile(samples, 0.5);
    }

    public static double Percentile(double[] values, double quantile)
    {
        if (values.Length == 0)
        {
            return double.NaN;
        }

        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        var position = quantile * (sorted.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = (int)Math.Ceiling(position);
        return sorted[lower] + ((sorted[upper] - sorted[lower]) * (position - lower));
    }
}
