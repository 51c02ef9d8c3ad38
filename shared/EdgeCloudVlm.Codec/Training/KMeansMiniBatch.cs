using System.Buffers;
using System.Runtime.InteropServices;

namespace EdgeCloudVlm.Codec.Training;

/// <summary>
/// Mini-batch k-means (per-centre learning rate 1/count, Sculley 2010). One iteration is one pass over a fresh
/// deterministic permutation of the data; the pass's distortion estimate is the mean distance of each batch measured before
/// that batch's update, so no extra pass over the data is needed until the final assignment.
/// </summary>
internal static unsafe class KMeansMiniBatch
{
    public static int Run(
        KMeansContext context, KMeansOptions options, int batchSize, Random random, double seedDistortion, IProgress<KMeansProgress>? progress)
    {
        int n = context.Count;
        int d = context.Dimension;
        int k = context.ClusterCount;
        var master = new double[(long)k * d];
        for (long i = 0; i < master.Length; i++)
        {
            master[i] = context.Centroids[i];
        }

        var counts = new long[k];
        var passHits = new long[k];
        var touched = new bool[k];
        var touchedList = new List<int>();
        var empty = new List<int>();
        var order = new int[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
        }

        float[] batch = ArrayPool<float>.Shared.Rent(batchSize * d);

        // Dirty pooled memory (possibly NaN) must not reach the blocked kernels through a short last batch.
        Array.Clear(batch);
        var batchIndices = new int[batchSize];
        var batchDistances = new float[batchSize];
        try
        {
            progress?.Report(new KMeansProgress(0, options.MaxIterations, seedDistortion, KMeansPhases.Seeding));
            double previous = double.PositiveInfinity;
            int iteration = 0;
            while (iteration < options.MaxIterations)
            {
                iteration++;
                Shuffle(order, random);
                Array.Clear(passHits);
                double passSum = 0;
                int last = 0;
                fixed (float* rows = batch)
                {
                    for (int start = 0; start < n; start += batchSize)
                    {
                        context.CancellationToken.ThrowIfCancellationRequested();
                        last = Math.Min(batchSize, n - start);
                        for (int r = 0; r < last; r++)
                        {
                            new ReadOnlySpan<float>(context.Row(order[start + r]), d).CopyTo(batch.AsSpan(r * d, d));
                        }

                        context.Assign(rows, last, batchIndices, batchDistances);
                        passSum += KMeansContext.SumInOrder(batchDistances, last);
                        for (int r = 0; r < last; r++)
                        {
                            int c = batchIndices[r];
                            counts[c]++;
                            passHits[c]++;
                            double rate = 1.0 / counts[c];
                            float* x = rows + ((nint)r * d);
                            long offset = (long)c * d;
                            for (int j = 0; j < d; j++)
                            {
                                master[offset + j] += rate * (x[j] - master[offset + j]);
                            }

                            if (!touched[c])
                            {
                                touched[c] = true;
                                touchedList.Add(c);
                            }
                        }

                        foreach (int c in touchedList)
                        {
                            touched[c] = false;
                            long offset = (long)c * d;
                            for (int j = 0; j < d; j++)
                            {
                                context.Centroids[offset + j] = (float)master[offset + j];
                            }

                            context.RefreshNorm(c);
                        }

                        touchedList.Clear();
                    }

                    // Clusters no point chose during the whole pass move onto the points of the last batch farthest from
                    // their centroids; the moved centre counts as one observation.
                    empty.Clear();
                    for (int c = 0; c < k; c++)
                    {
                        if (passHits[c] == 0)
                        {
                            empty.Add(c);
                        }
                    }

                    if (empty.Count > 0)
                    {
                        var emptySpan = CollectionsMarshal.AsSpan(empty);
                        int moved = context.ReseedEmpty(emptySpan, rows, last, batchDistances);
                        for (int e = 0; e < moved; e++)
                        {
                            int c = emptySpan[e];
                            counts[c] = 1;
                            long offset = (long)c * d;
                            for (int j = 0; j < d; j++)
                            {
                                master[offset + j] = context.Centroids[offset + j];
                            }
                        }
                    }
                }

                double estimate = passSum / n;
                progress?.Report(new KMeansProgress(iteration, options.MaxIterations, estimate, KMeansPhases.MiniBatch));
                if (previous - estimate < options.Tolerance * previous || estimate == 0)
                {
                    break;
                }

                previous = estimate;
            }

            return iteration;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(batch);
        }
    }

    private static void Shuffle(int[] order, Random random)
    {
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
    }
}
