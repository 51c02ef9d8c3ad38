using EdgeCloudVlm.ServiceDefaults.Authentication;
using EdgeCloudVlm.ServiceDefaults.Tests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.ServiceDefaults.Tests.Authentication;

public sealed class ClientCertificateValidatorTests(CertificateSet certificates) : IClassFixture<CertificateSet>
{
    private ClientCertificateValidator Create(TimeProvider? time = null)
    {
        var options = new ClientCertificateOptions { Enabled = true };
        options.TrustedCaFiles.Add(certificates.CaFile);
        options.TrustedThumbprints.Add(TestCertificates.Sha256Fingerprint(certificates.PinnedSelfSigned).ToLowerInvariant());
        return new ClientCertificateValidator(Options.Create(options), time ?? TimeProvider.System,
            NullLogger<ClientCertificateValidator>.Instance);
    }

    [Fact]
    public void IsTrusted_EachKindOfCertificate_ByTheRule()
    {
        using var validator = Create();

        Assert.True(validator.IsTrusted(certificates.Trusted));
        Assert.True(validator.IsTrusted(certificates.PinnedSelfSigned));
        Assert.False(validator.IsTrusted(certificates.FromUntrustedCa));
        Assert.False(validator.IsTrusted(certificates.UnpinnedSelfSigned));
        Assert.False(validator.IsTrusted(certificates.Expired));
        Assert.False(validator.IsTrusted(certificates.ServerUsageOnly));
    }

    [Fact]
    public void IsTrusted_ClockPastExpiry_Refused()
    {
        // ManualTimeProvider starts in 2030, after every test certificate has expired.
        using var validator = Create(new ManualTimeProvider());

        Assert.False(validator.IsTrusted(certificates.Trusted));
        Assert.False(validator.IsTrusted(certificates.PinnedSelfSigned));
    }

    [Fact]
    public void IsTrusted_OnlyThumbprints_CaIssuedRefused()
    {
        var options = new ClientCertificateOptions { Enabled = true };
        options.TrustedThumbprints.Add(TestCertificates.Sha256Fingerprint(certificates.PinnedSelfSigned));
        using var validator = new ClientCertificateValidator(Options.Create(options), TimeProvider.System,
            NullLogger<ClientCertificateValidator>.Instance);

        Assert.True(validator.IsTrusted(certificates.PinnedSelfSigned));
        Assert.False(validator.IsTrusted(certificates.Trusted));
    }

    [Fact]
    public async Task Start_EnabledWithNothingTrusted_Fails()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => TestApp.StartAsync(new Dictionary<string, string?>
        {
            ["Auth:ClientCertificates:Enabled"] = "true",
        }));

        Assert.Contains("at least one TrustedCaFiles entry or TrustedThumbprints entry", ServiceExceptions.AllMessages(error),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_MissingCaFile_FailsNamingIt()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"ecv-missing-{Guid.NewGuid():N}.pem");

        var error = await Assert.ThrowsAnyAsync<Exception>(() => TestApp.StartAsync(new Dictionary<string, string?>
        {
            ["Auth:ClientCertificates:Enabled"] = "true",
            ["Auth:ClientCertificates:TrustedCaFiles:0"] = missing,
        }));

        Assert.Contains($"TrustedCaFiles:0: file '{missing}' does not exist", ServiceExceptions.AllMessages(error), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_CaFileWithoutCertificate_Fails()
    {
        var notPem = Path.Combine(Path.GetTempPath(), $"ecv-not-pem-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(notPem, "this is not a certificate");
        try
        {
            var error = await Assert.ThrowsAnyAsync<Exception>(() => TestApp.StartAsync(new Dictionary<string, string?>
            {
                ["Auth:ClientCertificates:Enabled"] = "true",
                ["Auth:ClientCertificates:TrustedCaFiles:0"] = notPem,
            }));

            Assert.Contains("holds no PEM certificate", ServiceExceptions.AllMessages(error), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(notPem);
        }
    }

    [Fact]
    public async Task Start_MalformedThumbprint_Fails()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => TestApp.StartAsync(new Dictionary<string, string?>
        {
            ["Auth:ClientCertificates:Enabled"] = "true",
            ["Auth:ClientCertificates:TrustedThumbprints:0"] = "AB:CD",
        }));

        Assert.Contains("TrustedThumbprints:0: expected a SHA-256 fingerprint", ServiceExceptions.AllMessages(error), StringComparison.Ordinal);
    }
}
