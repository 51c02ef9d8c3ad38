using System.ComponentModel.DataAnnotations;

namespace EdgeCloudVlm.ServiceDefaults.RateLimiting;

/// <summary>Per-caller request budget, section <c>RateLimiting</c>, used by <see cref="RateLimitPolicies.PerCaller"/>.
/// </summary>
/// <remarks>Counts requests (a streaming call is one request). A refused request never reaches the endpoint.</remarks>
public sealed class RateLimitOptions
{
    /// <summary>Configuration section bound to this class.</summary>
    public const string SectionName = "RateLimiting";

    /// <summary>When false the policy admits everything.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Token bucket (bursts up to <see cref="PermitLimit"/>, refilled by <see cref="TokensPerPeriod"/> every
    /// <see cref="Period"/>) or fixed window (<see cref="PermitLimit"/> requests per <see cref="Period"/>).</summary>
    public RateLimitAlgorithm Algorithm { get; set; } = RateLimitAlgorithm.TokenBucket;

    /// <summary>Bucket capacity, or requests per window.</summary>
    [Range(1, 1_000_000)]
    public int PermitLimit { get; set; } = 120;

    /// <summary>Tokens added each <see cref="Period"/> (token bucket only).</summary>
    [Range(1, 1_000_000)]
    public int TokensPerPeriod { get; set; } = 20;

    /// <summary>Refill period of the bucket, or window length. Between 1 ms and 1 day.</summary>
    public TimeSpan Period { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Requests that wait for a permit instead of being refused at once; 0 refuses at once.</summary>
    [Range(0, 100_000)]
    public int QueueLimit { get; set; }
}

/// <summary>How <see cref="RateLimitOptions"/> counts.</summary>
public enum RateLimitAlgorithm
{
    /// <summary>Token bucket: allows bursts, steady refill.</summary>
    TokenBucket,

    /// <summary>Fixed window: a count per window.</summary>
    FixedWindow,
}
