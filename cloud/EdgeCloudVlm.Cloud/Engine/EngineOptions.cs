using System.ComponentModel.DataAnnotations;

namespace EdgeCloudVlm.Cloud.Engine;

/// <summary>
/// Capacity and limits of a <see cref="GenerationEngine"/> (configuration section <c>Engine</c>). The number of
/// sequences decoded at once is not configured directly: it follows from <see cref="KvCacheMemoryMiB"/> and the
/// model's shape (see <see cref="KvCacheBudget"/>), optionally capped by <see cref="MaxBatchSize"/>.
/// </summary>
public sealed class EngineOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "Engine";

    /// <summary>Memory for the running batch's KV cache, in MiB.</summary>
    [Range(1, 1 << 20)]
    public int KvCacheMemoryMiB { get; set; } = 256;

    /// <summary>Requests that may wait for a batch slot; one more is refused with
    /// <see cref="EngineOverloadedException"/> rather than queued.</summary>
    [Range(1, 1_000_000)]
    public int MaxQueuedRequests { get; set; } = 64;

    /// <summary>Optional cap on sequences per decode step, below what the KV budget allows.</summary>
    [Range(1, 1_000_000)]
    public int? MaxBatchSize { get; set; }

    /// <summary>The deadline of a request that names none, counted from its arrival.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan DefaultDeadline { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Memory for cached image prefixes (KV cache of the image rows, or image embeddings), in MiB; 0 turns
    /// the cache off.</summary>
    [Range(0, 1 << 20)]
    public int PrefixCacheMiB { get; set; } = 64;

    /// <summary>Threads that run the vision parts and the image-prefix prefill beside the decode loop.</summary>
    [Range(1, 64)]
    public int ImageWorkers { get; set; } = 1;

    /// <summary>Images one worker takes through the vision parts and the image-prefix prefill in one batch, when that
    /// many are waiting; 1 runs every image on its own.</summary>
    [Range(1, 256)]
    public int MaxImageBatch { get; set; } = 8;

    /// <summary>Positions one sequence may use, prompt (image rows included) plus answer; the KV budget reserves this
    /// much per sequence. The model's <c>max_positions</c> when unset; a request whose prompt does not fit is refused
    /// and its answer limit is shortened to what fits.</summary>
    [Range(2, 1_000_000)]
    public int? MaxSequenceTokens { get; set; }
}
