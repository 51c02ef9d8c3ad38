using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.ServiceDefaults.Authentication;

/// <summary>Decides whether a client certificate is trusted under <see cref="ClientCertificateOptions"/>. Kestrel asks
/// it during the TLS handshake and the certificate authentication handler asks it again before creating the caller's
/// identity, so both layers apply the same rule.</summary>
public sealed partial class ClientCertificateValidator : IDisposable
{
    private const string ClientAuthenticationOid = "1.3.6.1.5.5.7.3.2";

    private readonly X509Certificate2Collection _roots = [];
    private readonly HashSet<string> _pinned = new(StringComparer.OrdinalIgnoreCase);
    private readonly X509RevocationMode _revocationMode;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Loads the trusted CA files named by the options.</summary>
    /// <exception cref="InvalidOperationException">A CA file is missing, unreadable or holds no certificate.</exception>
    public ClientCertificateValidator(IOptions<ClientCertificateOptions> options, TimeProvider time,
        ILogger<ClientCertificateValidator> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _time = time;
        _logger = logger;
        _revocationMode = options.Value.RevocationMode;
        foreach (var file in options.Value.TrustedCaFiles)
        {
            _roots.AddRange(LoadCaFile(file));
        }

        foreach (var thumbprint in options.Value.TrustedThumbprints)
        {
            _pinned.Add(NormalizeThumbprint(thumbprint));
        }
    }

    /// <summary>The trusted CA certificates.</summary>
    public X509Certificate2Collection TrustedRoots => _roots;

    /// <summary>Returns whether <paramref name="certificate"/> is trusted; the reason for a refusal is logged with the
    /// certificate's subject and fingerprint (public facts, not secrets).</summary>
    public bool IsTrusted(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var failure = Check(certificate);
        if (failure is not null)
        {
            if (_logger.IsEnabled(LogLevel.Information))
            {
                var fingerprint = certificate.GetCertHashString(HashAlgorithmName.SHA256);
                LogRefused(_logger, certificate.Subject, fingerprint, failure);
            }

            return false;
        }

        return true;
    }

    private string? Check(X509Certificate2 certificate)
    {
        var now = _time.GetUtcNow();
        if (now < certificate.NotBefore.ToUniversalTime() || now > certificate.NotAfter.ToUniversalTime())
        {
            return "outside its validity period";
        }

        if (!AllowsClientAuthentication(certificate))
        {
            return "its enhanced key usage does not include client authentication";
        }

        if (IsSelfSigned(certificate) && _pinned.Contains(certificate.GetCertHashString(HashAlgorithmName.SHA256)))
        {
            return null;
        }

        if (_roots.Count == 0)
        {
            return "not a pinned self-signed certificate, and no CA is trusted";
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_roots);
        chain.ChainPolicy.RevocationMode = _revocationMode;
        chain.ChainPolicy.RevocationFlag = X509RevocationFlag.ExcludeRoot;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ClientAuthenticationOid));
        if (chain.Build(certificate))
        {
            return null;
        }

        var statuses = chain.ChainStatus.Select(s => s.Status.ToString()).Distinct();
        return "it does not chain to a trusted CA (" + string.Join(", ", statuses) + ")";
    }

    private static bool AllowsClientAuthentication(X509Certificate2 certificate)
    {
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509EnhancedKeyUsageExtension usage)
            {
                foreach (var oid in usage.EnhancedKeyUsages)
                {
                    if (oid.Value == ClientAuthenticationOid)
                    {
                        return true;
                    }
                }

                return false;
            }
        }

        return true;
    }

    private static bool IsSelfSigned(X509Certificate2 certificate) =>
        certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);

    internal static string NormalizeThumbprint(string thumbprint) =>
        thumbprint.Replace(":", string.Empty, StringComparison.Ordinal).Replace(" ", string.Empty, StringComparison.Ordinal)
            .ToUpperInvariant();

    private static X509Certificate2Collection LoadCaFile(string file)
    {
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new InvalidOperationException(
                $"{ClientCertificateOptions.SectionName}:TrustedCaFiles: cannot read '{file}': {e.Message}", e);
        }

        if (certificates.Count == 0)
        {
            throw new InvalidOperationException(
                $"{ClientCertificateOptions.SectionName}:TrustedCaFiles: '{file}' holds no PEM certificate.");
        }

        return certificates;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var root in _roots)
        {
            root.Dispose();
        }
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Information,
        Message = "Refused client certificate {Subject} (SHA-256 {Fingerprint}): {Reason}")]
    private static partial void LogRefused(ILogger logger, string subject, string fingerprint, string reason);
}
