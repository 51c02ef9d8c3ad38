using System.Runtime.InteropServices;

namespace EdgeCloudVlm.Codec.Training;

/// <summary>Full-batch Lloyd iterations with deterministic centroid updates and empty-cluster re-seeding.</summary>
internal static unsafe class KMeansLloyd
{
    /// <summary>Dimensions summed per parallel work item of the update (one cache line of floats).</summary>
    private const int SliceWidth = 16;

    /// <summary>
    /// Iterates from the context's centroids. On return <paramref name="indices"/>/<paramref name="distances"/> hold the
    /// assignment to the returned centroids and the result's distortion is theirs.
    /// </summary>
    public static (int Iterations, double Distortion) Run(
        KMeansContext context, KMeansOptions options, int[] indices, float[] distances, IProgress<KMeansProgress>? progress)
    {
        int k = context.ClusterCount;
        var counts = new long[k];
        var sums = new double[(long)k * context.Dimension];
        var empty = new List<int>();
        double distortion = context.AssignAll(indices, distances);
        progress?.Report(new KMeansProgress(0, options.MaxIterations, distortion, KMeansPhases.Seeding));

        int iteration = 0;
        while (iteration < options.MaxIterations && distortion > 0)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            iteration++;
            Update(context, indices, counts, sums);
            empty.Clear();
            for (int c = 0; c < k; c++)
            {
                if (counts[c] == 0)
                {
                    empty.Add(c);
                }
            }

            context.RefreshNorms();
            if (empty.Count > 0)
            {
                // Distances still refer to the previous centroids, which is what "farthest from its centroid" means here.
                context.ReseedEmpty(CollectionsMarshal.AsSpan(empty), context.Row(0), context.Count, distances);
            }

            double previous = distortion;
            distortion = context.AssignAll(indices, distances);
            progress?.Report(new KMeansProgress(iteration, options.MaxIterations, distortion, KMeansPhases.Lloyd));
            if (previous - distortion < options.Tolerance * previous)
            {
                break;
            }
        }

        return (iteration, distortion);
    }

    /// <summary>
    /// Centroid = mean of its points. Each coordinate is summed in double in point order; threads split the dimensions, not
    /// the points, so the sums are the same with any thread count and need no per-thread copies of the K x D table.
    /// Clusters without points keep their centroid.
    /// </summary>
    private static void Update(KMeansContext context, int[] indices, long[] counts, double[] sums)
    {
        int n = context.Count;
        int d = context.Dimension;
        int k = context.ClusterCount;
        Array.Clear(counts);
        for (int i = 0; i < n; i++)
        {
            counts[indices[i]]++;
        }

        float[] centroids = context.Centroids;
        int slices = (d + SliceWidth - 1) / SliceWidth;
        ParallelChunks.For(slices, 1, context.DegreeFor((long)n * d), (slice, _) =>
        {
            int j0 = slice * SliceWidth;
            int j1 = Math.Min(d, j0 + SliceWidth);
            fixed (double* s = sums)
            {
                for (int c = 0; c < k; c++)
                {
                    new Span<double>(s + ((nint)c * d) + j0, j1 - j0).Clear();
                }

                for (int i = 0; i < n; i++)
                {
                    float* row = context.Row(i);
                    double* target = s + ((nint)indices[i] * d);
                    for (int j = j0; j < j1; j++)
                    {
                        target[j] += row[j];
                    }
                }

                for (int c = 0; c < k; c++)
                {
                    long size = counts[c];
                    if (size == 0)
                    {
                        continue;
                    }

                    double* source = s + ((nint)c * d);
                    int offset = c * d;
                    for (int j = j0; j < j1; j++)
                    {
                        centroids[offset + j] = (float)(source[j] / size);
                    }
                }
            }
        });
    }
}
