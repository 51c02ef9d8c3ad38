using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.ServiceDefaults.Authentication;

/// <summary>Makes Kestrel's HTTPS endpoints ask for client certificates as <see cref="ClientCertificateOptions"/> says.
/// <c>AddServiceDefaults</c> applies <see cref="ConfigureClientCertificates(KestrelServerOptions, ClientCertificateOptions, ClientCertificateValidator)"/>
/// itself; call these only for endpoints set up by hand.</summary>
/// <remarks>Kestrel copies its HTTPS defaults into an endpoint when <c>ListenOptions.UseHttps</c> runs, so endpoints
/// created in code before <c>AddServiceDefaults</c>'s Kestrel setup ran miss them; endpoints from the <c>Kestrel</c>
/// configuration section are created at server start and always get them. Kestrel keeps one HTTPS-defaults callback:
/// a later <c>ConfigureHttpsDefaults</c> call replaces this one.</remarks>
public static class ClientCertificateKestrelExtensions
{
    /// <summary>Sets the HTTPS defaults: client certificate mode and the trust check of the TLS handshake. Does nothing
    /// when client certificates are not enabled.</summary>
    public static KestrelServerOptions ConfigureClientCertificates(this KestrelServerOptions kestrel,
        ClientCertificateOptions options, ClientCertificateValidator validator)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Enabled)
        {
            kestrel.ConfigureHttpsDefaults(https => https.ConfigureClientCertificates(options, validator));
        }

        return kestrel;
    }

    /// <summary>Applies the client certificate settings to one HTTPS endpoint. Does nothing when client certificates
    /// are not enabled.</summary>
    public static HttpsConnectionAdapterOptions ConfigureClientCertificates(this HttpsConnectionAdapterOptions https,
        ClientCertificateOptions options, ClientCertificateValidator validator)
    {
        ArgumentNullException.ThrowIfNull(https);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(validator);
        if (!options.Enabled)
        {
            return https;
        }

        https.ClientCertificateMode = options.Mode == ClientCertificateRequirement.Require
            ? ClientCertificateMode.RequireCertificate
            : ClientCertificateMode.AllowCertificate;
        // The device CA is private, so the platform's chain errors are expected; our own rule decides instead.
        https.ClientCertificateValidation = (certificate, _, _) => validator.IsTrusted(certificate);
        return https;
    }
}

/// <summary>Applies the configured client certificate settings to Kestrel when the server is created.</summary>
internal sealed class ClientCertificateKestrelSetup(IOptions<ClientCertificateOptions> options, ClientCertificateValidator validator)
    : IConfigureOptions<KestrelServerOptions>
{
    public void Configure(KestrelServerOptions kestrel) => kestrel.ConfigureClientCertificates(options.Value, validator);
}
