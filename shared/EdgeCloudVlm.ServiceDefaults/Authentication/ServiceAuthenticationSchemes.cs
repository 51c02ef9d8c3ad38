namespace EdgeCloudVlm.ServiceDefaults.Authentication;

/// <summary>Authentication scheme names registered by <c>AddServiceDefaults</c>.</summary>
public static class ServiceAuthenticationSchemes
{
    /// <summary>The default scheme: forwards to <see cref="ApiKey"/> when the request carries a key header, otherwise to
    /// <see cref="ClientCertificate"/> when client certificates are enabled and the connection presented one.</summary>
    public const string Default = "EdgeCloudVlm";

    /// <summary>API key from <c>Authorization: Bearer</c> or <c>x-api-key</c>.</summary>
    public const string ApiKey = "ApiKey";

    /// <summary>Client certificate from the TLS handshake (mutual TLS for edge devices).</summary>
    public const string ClientCertificate = "Certificate";
}
