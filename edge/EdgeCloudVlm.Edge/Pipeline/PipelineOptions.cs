using System.ComponentModel.DataAnnotations;

namespace EdgeCloudVlm.Edge.Pipeline;

/// <summary>Stage queues and workers (section <c>Edge:Pipeline</c>). Every queue is bounded: when the encoder or
/// the spool falls behind, inputs wait instead of buffering images in memory.</summary>
public sealed class PipelineOptions
{
    public const string SectionName = "Edge:Pipeline";

    /// <summary>Captures waiting for an encoder.</summary>
    [Range(1, 4096)]
    public int IntakeCapacity { get; set; } = 8;

    /// <summary>Encoded frames waiting to be written to the spool.</summary>
    [Range(1, 4096)]
    public int SpoolQueueCapacity { get; set; } = 16;

    /// <summary>Frames encoded in parallel (each runs the vision head on one image).</summary>
    [Range(1, 64)]
    public int EncoderWorkers { get; set; } = 1;

    /// <summary>Most frames written with one disk flush.</summary>
    [Range(1, 4096)]
    public int MaxSpoolBatch { get; set; } = 32;
}
