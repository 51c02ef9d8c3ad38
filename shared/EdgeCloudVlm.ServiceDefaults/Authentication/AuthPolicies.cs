namespace EdgeCloudVlm.ServiceDefaults.Authentication;

/// <summary>Authorization policy names to attach to endpoints with <c>RequireAuthorization(...)</c>.</summary>
/// <remarks>An endpoint with no authorization metadata gets <see cref="Any"/> as the fallback policy, so only endpoints
/// marked <c>AllowAnonymous()</c> (the health probes) are open. A caller without a valid credential gets 401; a caller
/// whose role the policy does not allow gets 403.</remarks>
public static class AuthPolicies
{
    /// <summary>Callers with role <see cref="ServiceRoles.Edge"/> (API key or trusted client certificate).</summary>
    public const string Edge = "EdgeCloudVlm.Edge";

    /// <summary>Callers with role <see cref="ServiceRoles.Application"/>.</summary>
    public const string Application = "EdgeCloudVlm.Application";

    /// <summary>Any authenticated caller, whatever its role.</summary>
    public const string Any = "EdgeCloudVlm.Any";
}
