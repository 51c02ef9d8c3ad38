namespace EdgeCloudVlm.ServiceDefaults.Health;

/// <summary>Health check tags that decide which probe a check counts for.</summary>
/// <remarks>Register a check with <c>builder.Services.AddHealthChecks().AddCheck(..., tags: [HealthTags.Ready])</c> to make
/// <c>/health/ready</c> depend on it. Liveness deliberately depends on nothing that can be slow or remote.</remarks>
public static class HealthTags
{
    /// <summary>Counts for <c>/health/live</c>.</summary>
    public const string Live = "live";

    /// <summary>Counts for <c>/health/ready</c>.</summary>
    public const string Ready = "ready";
}
