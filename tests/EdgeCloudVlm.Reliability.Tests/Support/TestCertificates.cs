using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EdgeCloudVlm.Reliability.Tests.Support;

/// <summary>Throwaway PKI for mutual TLS: a server certificate, a device CA and certificates it (or another CA) issues.</summary>
internal sealed class TestCertificates : IDisposable
{
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";

    public TestCertificates()
    {
        Folder = Directory.CreateTempSubdirectory("ecv-reliability-tls-").FullName;
        Password = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));

        using RSA serverKey = RSA.Create(2048);
        var server = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        server.CertificateExtensions.Add(names.Build());
        server.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuth)], critical: false));
        using X509Certificate2 serverCertificate = server.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        ServerThumbprint = serverCertificate.GetCertHashString(HashAlgorithmName.SHA256);
        ServerPfx = Path.Combine(Folder, "server.pfx");
        File.WriteAllBytes(ServerPfx, serverCertificate.Export(X509ContentType.Pfx, Password));

        DeviceCa = CreateCa("CN=reliability device CA");
        RogueCa = CreateCa("CN=someone else's CA");
        DeviceCaPem = Path.Combine(Folder, "device-ca.pem");
        File.WriteAllText(DeviceCaPem, DeviceCa.ExportCertificatePem());
    }

    public string Folder { get; }

    public string Password { get; }

    public string ServerPfx { get; }

    /// <summary>SHA-256 of the server certificate, which the clients pin.</summary>
    public string ServerThumbprint { get; }

    public string DeviceCaPem { get; }

    public X509Certificate2 DeviceCa { get; }

    public X509Certificate2 RogueCa { get; }

    /// <summary>A client certificate issued by <paramref name="issuer"/>, valid between the given offsets from now.</summary>
    public static X509Certificate2 Issue(X509Certificate2 issuer, string commonName, TimeSpan notBefore, TimeSpan notAfter)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ClientAuth)], critical: false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        byte[] serial = RandomNumberGenerator.GetBytes(12);
        using X509Certificate2 issued = request.Create(issuer, DateTimeOffset.UtcNow.Add(notBefore), DateTimeOffset.UtcNow.Add(notAfter), serial);
        using X509Certificate2 withKey = issued.CopyWithPrivateKey(key);

        // Round trip through PKCS#12 so that SslStream can use the private key on every platform.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>A self-signed client certificate nobody pinned.</summary>
    public static X509Certificate2 SelfSigned(string commonName)
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ClientAuth)], critical: false));
        using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    public void Dispose()
    {
        DeviceCa.Dispose();
        RogueCa.Dispose();
        Directory.Delete(Folder, recursive: true);
    }

    private static X509Certificate2 CreateCa(string subject)
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using X509Certificate2 ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-60), DateTimeOffset.UtcNow.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(ca.Export(X509ContentType.Pkcs12), null);
    }
}
