using System.Security.Cryptography.X509Certificates;

namespace EdgeCloudVlm.ServiceDefaults.Authentication;

/// <summary>Mutual TLS for edge devices, section <c>Auth:ClientCertificates</c>. A trusted certificate authenticates its
/// holder with role <see cref="ServiceRoles.Edge"/> and the subject's common name as identity.</summary>
/// <remarks>Applies to HTTPS endpoints only; on a cleartext (h2c) endpoint callers still need an API key. A certificate
/// is trusted when it chains to one of <see cref="TrustedCaFiles"/>, or when it is self-signed and its SHA-256
/// fingerprint is in <see cref="TrustedThumbprints"/>. Both are also checked for validity dates and, when the
/// certificate names its uses, the client-authentication use.</remarks>
public sealed class ClientCertificateOptions
{
    /// <summary>Configuration section bound to this class.</summary>
    public const string SectionName = "Auth:ClientCertificates";

    /// <summary>Turns mutual TLS on. Off by default.</summary>
    public bool Enabled { get; set; }

    /// <summary><see cref="ClientCertificateRequirement.Require"/> (default) refuses TLS connections without a trusted
    /// certificate; <see cref="ClientCertificateRequirement.Allow"/> also lets certificate-less clients connect so that
    /// applications with API keys can share the port.</summary>
    public ClientCertificateRequirement Mode { get; set; } = ClientCertificateRequirement.Require;

    /// <summary>PEM files, each holding one or more CA certificates that issue edge device certificates.</summary>
    public List<string> TrustedCaFiles { get; } = [];

    /// <summary>SHA-256 fingerprints (64 hex characters; colons and spaces allowed, as
    /// <c>openssl x509 -noout -fingerprint -sha256</c> prints them) of trusted self-signed device certificates.</summary>
    public List<string> TrustedThumbprints { get; } = [];

    /// <summary>Revocation checking of CA-issued certificates. <see cref="X509RevocationMode.NoCheck"/> by default
    /// because private device CAs rarely publish revocation lists; set <c>Online</c> when yours does, since a
    /// certificate whose revocation status cannot be fetched is then refused.</summary>
    public X509RevocationMode RevocationMode { get; set; } = X509RevocationMode.NoCheck;
}

/// <summary>Whether a TLS client must present a certificate.</summary>
public enum ClientCertificateRequirement
{
    /// <summary>The TLS handshake fails without a trusted certificate.</summary>
    Require,

    /// <summary>A certificate is requested; clients without one connect and must then send an API key. A presented
    /// certificate that is not trusted still fails the handshake.</summary>
    Allow,
}
