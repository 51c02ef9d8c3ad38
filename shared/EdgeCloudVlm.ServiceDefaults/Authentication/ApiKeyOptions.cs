namespace EdgeCloudVlm.ServiceDefaults.Authentication;

/// <summary>Configured API keys, section <c>Auth</c> (<c>Auth:ApiKeys</c>). Keys are stored only as SHA-256 hashes.
/// </summary>
/// <remarks>Read once at start (rotate keys by restarting; a Kubernetes Secret change rolls the pods). Validated at
/// start: a malformed hash, an unknown role, or a duplicate name or hash stops the service with a message naming the
/// entry, never its hash.</remarks>
public sealed class ApiKeyOptions
{
    /// <summary>Configuration section bound to this class.</summary>
    public const string SectionName = "Auth";

    /// <summary>The accepted keys.</summary>
    public List<ApiKeyEntry> ApiKeys { get; } = [];
}

/// <summary>One accepted API key.</summary>
public sealed class ApiKeyEntry
{
    /// <summary>Who holds the key (e.g. <c>camera-7</c>); the only thing about a key that is ever logged.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary><see cref="ServiceRoles.Edge"/> or <see cref="ServiceRoles.Application"/>.</summary>
    public string Role { get; set; } = string.Empty;

    /// <summary>SHA-256 of the key's UTF-8 bytes, 64 hexadecimal characters (see <see cref="ApiKeyHash"/>).</summary>
    public string Sha256 { get; set; } = string.Empty;
}
