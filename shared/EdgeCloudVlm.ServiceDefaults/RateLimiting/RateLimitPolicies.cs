namespace EdgeCloudVlm.ServiceDefaults.RateLimiting;

/// <summary>Rate-limit policy names to attach to endpoints with <c>RequireRateLimiting(...)</c>.</summary>
public static class RateLimitPolicies
{
    /// <summary>One budget per caller, as <see cref="RateLimitOptions"/> configures: per API key name, per client
    /// certificate subject, and per remote address for anonymous requests. A refused request gets HTTP 429 with
    /// <c>Retry-After</c> and a JSON error body, or, for gRPC, status RESOURCE_EXHAUSTED with a <c>retry-after</c>
    /// trailer.</summary>
    public const string PerCaller = "EdgeCloudVlm.PerCaller";
}
