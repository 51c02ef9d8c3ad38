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

    /// <summary>Threads that run the vision parts and the image-prefix prefill beside the decode loop; unset, one per
    /// four processors (1 to 8, see <see cref="ImageWorkersFor"/>).</summary>
    [Range(1, 64)]
    public int? ImageWorkers { get; set; }

    /// <summary>Threads that prefill admitted prompts (the tokens after a cached image prefix, or whole prompts) while
    /// the scheduler thread goes on with decode steps; 0 prefills on the scheduler thread between decode steps. Unset,
    /// one per eight processors (1 to 4, see <see cref="PrefillWorkersFor"/>).</summary>
    [Range(0, 64)]
    public int? PrefillWorkers { get; set; }

    /// <summary>Images one worker takes through the vision parts and the image-prefix prefill in one batch, when that
    /// many are waiting; 1 runs every image on its own.</summary>
    [Range(1, 256)]
    public int MaxImageBatch { get; set; } = 8;

    /// <summary>Positions one sequence may use, prompt (image rows included) plus answer; the KV budget reserves this
    /// much per sequence. The model's <c>max_positions</c> when unset; a request whose prompt does not fit is refused
    /// and its answer limit is shortened to what fits.</summary>
    [Range(2, 1_000_000)]
    public int? MaxSequenceTokens { get; set; }

    /// <summary>The image workers an engine starts on a host with <paramref name="processors"/> processors: the
    /// configured number, else one per four processors, 1 to 8. Each runs single-threaded model calls, and on a small
    /// host more of them only take cores from the decode loop.</summary>
    public int ImageWorkersFor(int processors) => ImageWorkers ?? Math.Clamp(processors / 4, 1, 8);

    /// <summary>The prefill workers an engine starts on a host with <paramref name="processors"/> processors: the
    /// configured number, else one per eight processors, 1 to 4.</summary>
    public int PrefillWorkersFor(int processors) => PrefillWorkers ?? Math.Clamp(processors / 8, 1, 4);
}
