using EdgeCloudVlm.Codec.Quantization;

namespace EdgeCloudVlm.Codec.Training;

/// <summary>
/// Greedy k-means++ seeding on a deterministic subsample: each new centre is the best of 2 + ln K candidates drawn with
/// probability proportional to the squared distance to the nearest centre so far (the candidate that lowers the total the
/// most wins). Points already at distance 0 are never drawn, so duplicates cannot become two centres.
/// </summary>
internal static unsafe class KMeansSeeding
{
    private const int SampleChunk = 1024;

    /// <returns>Mean squared distance of the subsample to the seeds.</returns>
    public static double Seed(KMeansContext context, Random random, int sampleSize)
    {
        int k = context.ClusterCount;
        int d = context.Dimension;
        int[] sample = DrawSample(context.Count, Math.Max(sampleSize, k), random);
        int s = sample.Length;
        int candidateCount = 2 + (int)Math.Log(k);
        var nearest = new float[s];
        var candidateDistances = new float[(long)candidateCount * s];
        var candidates = new int[candidateCount];
        var potentials = new double[candidateCount];

        int first = sample[random.Next(s)];
        context.SetCentroid(0, context.Row(first));
        Array.Fill(nearest, float.PositiveInfinity);
        candidates[0] = first;
        DistancesToCandidates(context, sample, nearest, candidates, 1, candidateDistances);
        Array.Copy(candidateDistances, nearest, s);

        for (int center = 1; center < k; center++)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            double total = KMeansContext.SumInOrder(nearest, s);
            if (!(total > 0))
            {
                // Fewer distinct sample points than clusters: the rest start as copies of centre 0. Lloyd's empty-cluster
                // step later moves them onto distinct points of the full data if there are any.
                for (int rest = center; rest < k; rest++)
                {
                    Array.Copy(context.Centroids, 0, context.Centroids, (long)rest * d, d);
                }

                break;
            }

            for (int c = 0; c < candidateCount; c++)
            {
                candidates[c] = sample[Draw(nearest, total, random)];
            }

            DistancesToCandidates(context, sample, nearest, candidates, candidateCount, candidateDistances);
            int best = 0;
            for (int c = 0; c < candidateCount; c++)
            {
                potentials[c] = Sum(candidateDistances, (long)c * s, s);
                if (potentials[c] < potentials[best])
                {
                    best = c;
                }
            }

            context.SetCentroid(center, context.Row(candidates[best]));
            Array.Copy(candidateDistances, (long)best * s, nearest, 0, s);
        }

        context.RefreshNorms();
        return KMeansContext.SumInOrder(nearest, s) / s;
    }

    /// <summary>Sorted distinct point indices: all points when there are few enough, else a uniform sample (Floyd's method).</summary>
    private static int[] DrawSample(int count, int size, Random random)
    {
        if (size >= count)
        {
            var all = new int[count];
            for (int i = 0; i < count; i++)
            {
                all[i] = i;
            }

            return all;
        }

        var chosen = new HashSet<int>(size);
        for (int j = count - size; j < count; j++)
        {
            int t = random.Next(j + 1);
            chosen.Add(chosen.Contains(t) ? j : t);
        }

        var sample = new int[size];
        chosen.CopyTo(sample);
        Array.Sort(sample);
        return sample;
    }

    /// <summary>Index i with probability weights[i] / total; never an index of weight 0.</summary>
    private static int Draw(float[] weights, double total, Random random)
    {
        double target = random.NextDouble() * total;
        double cumulative = 0;
        int lastPositive = -1;
        for (int i = 0; i < weights.Length; i++)
        {
            if (weights[i] > 0)
            {
                cumulative += weights[i];
                lastPositive = i;
                if (cumulative > target)
                {
                    return i;
                }
            }
        }

        // Rounding left the target just past the end of the cumulative sum.
        return lastPositive;
    }

    /// <summary>candidateDistances[c * s + i] = min(nearest[i], ||sample_i - candidate_c||^2).</summary>
    private static void DistancesToCandidates(
        KMeansContext context, int[] sample, float[] nearest, int[] candidates, int candidateCount, float[] candidateDistances)
    {
        int s = sample.Length;
        int d = context.Dimension;
        SimdWidth width = context.DistanceWidth;
        ParallelChunks.For(s, SampleChunk, context.DegreeFor((long)s * d * candidateCount), (start, end) =>
        {
            for (int i = start; i < end; i++)
            {
                float* row = context.Row(sample[i]);
                for (int c = 0; c < candidateCount; c++)
                {
                    float dist = NearestCentroidKernels.SquaredDistance(width, row, context.Row(candidates[c]), d);
                    candidateDistances[((long)c * s) + i] = Math.Min(nearest[i], dist);
                }
            }
        });
    }

    private static double Sum(float[] values, long offset, int count)
    {
        double sum = 0;
        for (int i = 0; i < count; i++)
        {
            sum += values[offset + i];
        }

        return sum;
    }
}
