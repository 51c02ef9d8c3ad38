using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EdgeCloudVlm.Cloud.Tests.Support;

/// <summary>A throwaway server certificate for 127.0.0.1, written as a password-protected PFX the way an operator
/// would hand one to Kestrel.</summary>
internal static class SelfSignedCertificate
{
    public static X509Certificate2 Create(out string path, out string password)
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));

        password = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
        path = Path.Combine(Directory.CreateTempSubdirectory("ecv-tls-").FullName, "server.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, password));
        return certificate;
    }
}
