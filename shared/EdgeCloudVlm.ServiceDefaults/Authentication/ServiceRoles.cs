namespace EdgeCloudVlm.ServiceDefaults.Authentication;

/// <summary>The two kinds of caller. A configured API key carries exactly one; a trusted client certificate is always
/// <see cref="Edge"/>.</summary>
public static class ServiceRoles
{
    /// <summary>An edge device daemon: streams compressed frames, pulls codebooks.</summary>
    public const string Edge = "edge";

    /// <summary>An application calling the cloud directly (REST or gRPC generate).</summary>
    public const string Application = "application";

    /// <summary>Maps a configured role name (any letter case) to its constant.</summary>
    /// <returns><see langword="false"/> for a name that is not a known role.</returns>
    public static bool TryNormalize(string? role, out string normalized)
    {
        if (string.Equals(role, Edge, StringComparison.OrdinalIgnoreCase))
        {
            normalized = Edge;
            return true;
        }

        if (string.Equals(role, Application, StringComparison.OrdinalIgnoreCase))
        {
            normalized = Application;
            return true;
        }

        normalized = string.Empty;
        return false;
    }
}
