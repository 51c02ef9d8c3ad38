namespace EdgeCloudVlm.Codec.Coding;

/// <summary>Turns raw symbol counts into frequencies summing to a power of two with every entry at least 1.</summary>
internal static class FrequencyQuantizer
{
    /// <summary>
    /// Quantizes <paramref name="counts"/> to frequencies summing to <c>1 &lt;&lt; scaleBits</c>, each at least 1.
    /// Callers have validated the alphabet size and that the scale gives every symbol a slot.
    /// </summary>
    public static uint[] Quantize(ReadOnlySpan<long> counts, int scaleBits)
    {
        long total = 1L << scaleBits;
        var frequencies = new uint[counts.Length];

        double countSum = 0;
        for (int s = 0; s < counts.Length; s++)
        {
            if (counts[s] < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(counts), counts[s], $"Count for symbol {s} is negative.");
            }

            countSum += counts[s];
        }

        if (countSum == 0)
        {
            FillUniform(frequencies, total);
            return frequencies;
        }

        // Start from the proportional share rounded down (at least 1), then spend or recover the difference one unit at a
        // time where it changes the expected code length the least. Expected length is sum c_s * log2(total / f_s), which
        // is separable and convex in each f_s, so greedy unit moves land at (or next to) the optimum.
        double scale = total / countSum;
        long assigned = 0;
        for (int s = 0; s < counts.Length; s++)
        {
            double share = Math.Floor(counts[s] * scale);
            uint f = share < 1 ? 1u : (uint)Math.Min(share, total);
            frequencies[s] = f;
            assigned += f;
        }

        if (assigned < total)
        {
            Grow(counts, frequencies, total - assigned);
        }
        else if (assigned > total)
        {
            Shrink(counts, frequencies, assigned - total);
        }

        return frequencies;
    }

    private static void FillUniform(uint[] frequencies, long total)
    {
        uint baseShare = (uint)(total / frequencies.Length);
        int remainder = (int)(total % frequencies.Length);
        for (int s = 0; s < frequencies.Length; s++)
        {
            frequencies[s] = baseShare + (s < remainder ? 1u : 0u);
        }
    }

    private static void Grow(ReadOnlySpan<long> counts, uint[] frequencies, long deficit)
    {
        // Highest saving first: PriorityQueue is a min-heap, so priorities are negated savings.
        var queue = new PriorityQueue<int, double>();
        for (int s = 0; s < counts.Length; s++)
        {
            if (counts[s] > 0)
            {
                queue.Enqueue(s, -GainOfIncrement(counts[s], frequencies[s]));
            }
        }

        // Every positive-count symbol stays queued, and the queue is non-empty because the counts are not all zero.
        while (deficit > 0)
        {
            int s = queue.Dequeue();
            frequencies[s]++;
            deficit--;
            queue.Enqueue(s, -GainOfIncrement(counts[s], frequencies[s]));
        }
    }

    private static void Shrink(ReadOnlySpan<long> counts, uint[] frequencies, long excess)
    {
        // Cheapest loss first; only entries above 1 may give a unit back.
        var queue = new PriorityQueue<int, double>();
        for (int s = 0; s < counts.Length; s++)
        {
            if (frequencies[s] > 1)
            {
                queue.Enqueue(s, LossOfDecrement(counts[s], frequencies[s]));
            }
        }

        // Total slots >= symbol count guarantees enough entries above 1 remain while excess > 0.
        while (excess > 0)
        {
            int s = queue.Dequeue();
            frequencies[s]--;
            excess--;
            if (frequencies[s] > 1)
            {
                queue.Enqueue(s, LossOfDecrement(counts[s], frequencies[s]));
            }
        }
    }

    private static double GainOfIncrement(long count, uint frequency) => count * Math.Log2((frequency + 1.0) / frequency);

    private static double LossOfDecrement(long count, uint frequency) => count * Math.Log2(frequency / (frequency - 1.0));
}
