using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using EdgeCloudVlm.ServiceDefaults.Tests.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace EdgeCloudVlm.ServiceDefaults.Tests.Authentication;

/// <summary>Certificates shared by the mutual-TLS tests (made once: key generation is the slow part).</summary>
public sealed class CertificateSet : IDisposable
{
    public CertificateSet()
    {
        TrustedCa = TestCertificates.CreateCa("EdgeCloudVlm test device CA");
        UntrustedCa = TestCertificates.CreateCa("Somebody else's CA");
        Trusted = TestCertificates.Issue(TrustedCa, "camera-12");
        FromUntrustedCa = TestCertificates.Issue(UntrustedCa, "camera-13");
        Expired = TestCertificates.Issue(TrustedCa, "camera-14", DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));
        ServerUsageOnly = TestCertificates.Issue(TrustedCa, "camera-15", usage: TestCertificates.ServerUsage);
        PinnedSelfSigned = TestCertificates.SelfSignedClient("camera-16");
        UnpinnedSelfSigned = TestCertificates.SelfSignedClient("camera-17");
        Server = TestCertificates.Server();
        CaFile = TestCertificates.WritePem(TrustedCa);
    }

    public X509Certificate2 TrustedCa { get; }
    public X509Certificate2 UntrustedCa { get; }
    public X509Certificate2 Trusted { get; }
    public X509Certificate2 FromUntrustedCa { get; }
    public X509Certificate2 Expired { get; }
    public X509Certificate2 ServerUsageOnly { get; }
    public X509Certificate2 PinnedSelfSigned { get; }
    public X509Certificate2 UnpinnedSelfSigned { get; }
    public X509Certificate2 Server { get; }
    public string CaFile { get; }

    public Dictionary<string, string?> Settings(string mode) => new()
    {
        ["Auth:ClientCertificates:Enabled"] = "true",
        ["Auth:ClientCertificates:Mode"] = mode,
        ["Auth:ClientCertificates:TrustedCaFiles:0"] = CaFile,
        ["Auth:ClientCertificates:TrustedThumbprints:0"] = TestCertificates.Sha256Fingerprint(PinnedSelfSigned),
    };

    public void Dispose()
    {
        File.Delete(CaFile);
        foreach (var certificate in new[] { TrustedCa, UntrustedCa, Trusted, FromUntrustedCa, Expired, ServerUsageOnly, PinnedSelfSigned, UnpinnedSelfSigned, Server })
        {
            certificate.Dispose();
        }
    }
}

/// <summary>Mutual TLS against real Kestrel on a loopback port.</summary>
public sealed class ClientCertificateTests(CertificateSet certificates) : IClassFixture<CertificateSet>
{
    private Task<TestApp> StartAsync(string mode) => TestApp.StartAsync(
        certificates.Settings(mode),
        kestrel: k => k.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http1AndHttp2;
            listen.UseHttps(certificates.Server);
        }));

    private HttpClient Client(TestApp app, X509Certificate2? clientCertificate, string? apiKey = null, bool http2 = false)
    {
        var server = certificates.Server;
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, presented, _, _) =>
                    presented is not null && presented.GetCertHashString() == server.GetCertHashString(),
            },
        };
        if (clientCertificate is not null)
        {
            handler.SslOptions.ClientCertificates = [clientCertificate];
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate;
        }

        var client = new HttpClient(handler) { BaseAddress = app.KestrelAddress };
        if (http2)
        {
            client.DefaultRequestVersion = HttpVersion.Version20;
            client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        TestApp.Authorize(client, apiKey);
        return client;
    }

    [Fact]
    public async Task Require_NoCertificate_ConnectionRefused()
    {
        await using var app = await StartAsync("Require");
        using var client = Client(app, null, TestKeys.EdgeKey);

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetAsync("/test/edge"));
    }

    [Fact]
    public async Task Require_CertificateFromUntrustedCa_ConnectionRefused()
    {
        await using var app = await StartAsync("Require");
        using var client = Client(app, certificates.FromUntrustedCa);

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetAsync("/test/edge"));
        Assert.Contains(app.Logs.Entries, e =>
            e.Message.Contains("CN=camera-13", StringComparison.Ordinal)
            && e.Message.Contains("does not chain to a trusted CA", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Require_TrustedCertificate_AuthenticatedAsEdgeBySubject(bool http2)
    {
        await using var app = await StartAsync("Require");
        using var client = Client(app, certificates.Trusted, http2: http2);

        using var response = await client.GetAsync("/test/edge");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("camera-12", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Require_TrustedCertificateOnApplicationEndpoint_403()
    {
        await using var app = await StartAsync("Require");
        using var client = Client(app, certificates.Trusted);

        using var response = await client.GetAsync("/test/application");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Require_TrustedCertificateWithWrongKey_401()
    {
        await using var app = await StartAsync("Require");
        using var client = Client(app, certificates.Trusted, TestKeys.UnknownKey);

        using var response = await client.GetAsync("/test/edge");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Require_TrustedCertificateWithApplicationKey_KeyDecidesTheRole()
    {
        await using var app = await StartAsync("Require");
        using var client = Client(app, certificates.Trusted, TestKeys.ApplicationKey);

        using var response = await client.GetAsync("/test/application");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(TestKeys.ApplicationName, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Require_TrustedCertificateWithForeignAuthorizationScheme_CertificateDecides()
    {
        await using var app = await StartAsync("Require");
        using var client = Client(app, certificates.Trusted);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", "dXNlcjpwYXNz");

        using var response = await client.GetAsync("/test/edge");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Require_ExpiredCertificate_ConnectionRefused()
    {
        await using var app = await StartAsync("Require");
        using var client = Client(app, certificates.Expired);

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetAsync("/test/edge"));
        Assert.Contains(app.Logs.Entries, e => e.Message.Contains("outside its validity period", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Require_CertificateWithoutClientUse_ConnectionRefused()
    {
        await using var app = await StartAsync("Require");
        using var client = Client(app, certificates.ServerUsageOnly);

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetAsync("/test/edge"));
    }

    [Fact]
    public async Task Require_PinnedSelfSigned_Accepted()
    {
        await using var app = await StartAsync("Require");
        using var client = Client(app, certificates.PinnedSelfSigned);

        using var response = await client.GetAsync("/test/edge");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("camera-16", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Require_UnpinnedSelfSigned_ConnectionRefused()
    {
        await using var app = await StartAsync("Require");
        using var client = Client(app, certificates.UnpinnedSelfSigned);

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetAsync("/test/edge"));
    }

    [Fact]
    public async Task Require_TrustedCertificate_MetricsPageOpen()
    {
        await using var app = await StartAsync("Require");
        using var client = Client(app, certificates.Trusted);

        using var response = await client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Allow_NoCertificateNoKey_401()
    {
        await using var app = await StartAsync("Allow");
        using var client = Client(app, null);

        using var response = await client.GetAsync("/test/edge");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Allow_NoCertificateWithApplicationKey_Served()
    {
        await using var app = await StartAsync("Allow");
        using var client = Client(app, null, TestKeys.ApplicationKey);

        using var response = await client.GetAsync("/test/application");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Allow_TrustedCertificate_AuthenticatedAsEdge()
    {
        await using var app = await StartAsync("Allow");
        using var client = Client(app, certificates.Trusted);

        using var response = await client.GetAsync("/test/edge");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Allow_UntrustedCertificate_ConnectionRefused()
    {
        await using var app = await StartAsync("Allow");
        using var client = Client(app, certificates.FromUntrustedCa);

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetAsync("/test/edge"));
    }

    [Fact]
    public async Task Disabled_TrustedCertificateNoKey_401()
    {
        var settings = certificates.Settings("Require");
        settings["Auth:ClientCertificates:Enabled"] = "false";
        await using var app = await TestApp.StartAsync(settings, kestrel: k => k.Listen(IPAddress.Loopback, 0,
            listen => listen.UseHttps(certificates.Server)));
        using var client = Client(app, certificates.Trusted);

        using var response = await client.GetAsync("/test/edge");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
