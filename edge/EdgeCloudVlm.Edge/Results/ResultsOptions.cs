using System.ComponentModel.DataAnnotations;

namespace EdgeCloudVlm.Edge.Results;

/// <summary>Where final results go (section <c>Edge:Results</c>); any combination.</summary>
public sealed class ResultsOptions
{
    public const string SectionName = "Edge:Results";

    /// <summary>JSON Lines file, one object per frame, exactly once per frame id across crashes; default
    /// <c>{DataDirectory}/results.jsonl</c>; empty string after configuration turns the sink off.</summary>
    public string? JsonLinesPath { get; set; }

    /// <summary>Also write each result line to standard output (the journal, under systemd); at least once.</summary>
    public bool Console { get; set; }

    /// <summary>POST every result here as JSON (an <c>Idempotency-Key</c> header carries the frame id, so a receiver
    /// can drop the rare repeat after a crash); frames taken in over HTTP can name their own callback too.</summary>
    public Uri? CallbackUrl { get; set; }

    /// <summary>Per-attempt timeout of a callback.</summary>
    public TimeSpan CallbackTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts per callback before it is given up (logged and counted).</summary>
    [Range(1, 20)]
    public int CallbackAttempts { get; set; } = 3;
}
