using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.ServiceDefaults.Authentication;

/// <summary>Refuses a mutual-TLS setup that would trust nothing or name files that are not there.</summary>
internal sealed class ClientCertificateOptionsValidator : IValidateOptions<ClientCertificateOptions>
{
    public ValidateOptionsResult Validate(string? name, ClientCertificateOptions options)
    {
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        var failures = new List<string>();
        const string Section = ClientCertificateOptions.SectionName;
        if (options.TrustedCaFiles.Count == 0 && options.TrustedThumbprints.Count == 0)
        {
            failures.Add($"{Section}: Enabled needs at least one TrustedCaFiles entry or TrustedThumbprints entry.");
        }

        for (var i = 0; i < options.TrustedCaFiles.Count; i++)
        {
            var problem = CheckCaFile(options.TrustedCaFiles[i]);
            if (problem is not null)
            {
                failures.Add($"{Section}:TrustedCaFiles:{i}: {problem}");
            }
        }

        for (var i = 0; i < options.TrustedThumbprints.Count; i++)
        {
            var thumbprint = ClientCertificateValidator.NormalizeThumbprint(options.TrustedThumbprints[i]);
            if (!ApiKeyHash.TryParse(thumbprint, out _))
            {
                failures.Add($"{Section}:TrustedThumbprints:{i}: expected a SHA-256 fingerprint of 64 hexadecimal characters.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static string? CheckCaFile(string file)
    {
        if (!File.Exists(file))
        {
            return $"file '{file}' does not exist.";
        }

        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(file);
            return certificates.Count == 0 ? $"'{file}' holds no PEM certificate." : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            return $"cannot read '{file}': {e.Message}";
        }
        finally
        {
            foreach (var certificate in certificates)
            {
                certificate.Dispose();
            }
        }
    }
}
