namespace EdgeCloudVlm.Edge.State;

/// <summary>What <c>status</c> shows: served at <c>GET /status</c> and written to the state file.</summary>
public sealed record StatusSnapshot
{
    public required string DeviceId { get; init; }

    public required string AgentVersion { get; init; }

    public int ProcessId { get; init; }

    public DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset WrittenAt { get; init; }

    /// <summary>Base URL of the local HTTP endpoint, once listening.</summary>
    public string? LocalEndpoint { get; init; }

    public required string ModelId { get; init; }

    /// <summary>Execution provider of the vision head, or why it is not running.</summary>
    public required string VisionHead { get; init; }

    public string? CodebookId { get; init; }

    public bool FallbackAllowed { get; init; }

    public required LinkStatus Link { get; init; }

    public required string CloudAddress { get; init; }

    public required SpoolStatus Spool { get; init; }

    public int InFlight { get; init; }

    public int Queued { get; init; }

    public int Window { get; init; }

    public int PipelineHeld { get; init; }

    public required StatusCounters Counters { get; init; }

    public required IReadOnlyList<StatusError> LastErrors { get; init; }
}

public sealed record SpoolStatus(string Directory, int Depth, long Bytes, long MaxBytes, int Segments, string Policy);
