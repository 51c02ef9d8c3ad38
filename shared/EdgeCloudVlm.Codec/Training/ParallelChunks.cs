namespace EdgeCloudVlm.Codec.Training;

/// <summary>
/// Runs a body over fixed-size chunks of a range. Chunk boundaries depend only on the range and the chunk size, never on
/// the thread count, so callers that reduce per chunk and combine in chunk order get the same bits with any parallelism.
/// </summary>
internal static class ParallelChunks
{
    /// <summary>Calls <paramref name="body"/>(start, end) for each chunk of [0, total), on up to maxDegreeOfParallelism threads.</summary>
    public static void For(int total, int chunkSize, int maxDegreeOfParallelism, Action<int, int> body)
    {
        int chunks = ChunkCount(total, chunkSize);
        if (maxDegreeOfParallelism <= 1 || chunks <= 1)
        {
            for (int c = 0; c < chunks; c++)
            {
                int start = c * chunkSize;
                body(start, Math.Min(total, start + chunkSize));
            }

            return;
        }

        Parallel.For(
            0,
            chunks,
            new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism },
            c =>
            {
                int start = c * chunkSize;
                body(start, Math.Min(total, start + chunkSize));
            });
    }

    /// <summary>Number of chunks <see cref="For"/> makes.</summary>
    public static int ChunkCount(int total, int chunkSize) => (int)(((long)total + chunkSize - 1) / chunkSize);
}
