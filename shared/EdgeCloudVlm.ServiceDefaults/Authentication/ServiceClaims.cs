namespace EdgeCloudVlm.ServiceDefaults.Authentication;

/// <summary>Claims put on an authenticated caller besides the standard name and role claims.</summary>
/// <remarks>The caller's name (<c>User.Identity.Name</c>) is the API key's configured <c>Name</c> or the client
/// certificate's subject common name; log that, never the credential.</remarks>
public static class ServiceClaims
{
    /// <summary>Claim type holding how the caller proved its identity: <see cref="ApiKeyCredential"/> or
    /// <see cref="CertificateCredential"/>.</summary>
    public const string Credential = "edgecloudvlm/credential";

    /// <summary><see cref="Credential"/> value for an API key.</summary>
    public const string ApiKeyCredential = "api-key";

    /// <summary><see cref="Credential"/> value for a client certificate.</summary>
    public const string CertificateCredential = "client-certificate";
}
