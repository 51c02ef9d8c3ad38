using System.Security.Claims;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Certificate;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.ServiceDefaults.Authentication;

/// <summary>Registers the schemes, the policies and the fallback policy that closes every endpoint not marked anonymous.
/// </summary>
internal static class AuthenticationRegistration
{
    public static void AddServiceAuthentication(IServiceCollection services)
    {
        services.AddOptions<ApiKeyOptions>().BindConfiguration(ApiKeyOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ApiKeyOptions>, ApiKeyOptionsValidator>();
        services.AddOptions<ClientCertificateOptions>().BindConfiguration(ClientCertificateOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ClientCertificateOptions>, ClientCertificateOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ApiKeyStore>();
        services.TryAddSingleton<ClientCertificateValidator>();
        services.AddSingleton<IConfigureOptions<KestrelServerOptions>, ClientCertificateKestrelSetup>();

        services.AddAuthentication(ServiceAuthenticationSchemes.Default)
            .AddPolicyScheme(ServiceAuthenticationSchemes.Default, "API key or client certificate", options =>
            {
                options.ForwardDefaultSelector = SelectScheme;
                // The certificate handler answers challenges with 403; callers without a credential must get 401.
                options.ForwardChallenge = ServiceAuthenticationSchemes.ApiKey;
                options.ForwardForbid = ServiceAuthenticationSchemes.ApiKey;
            })
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ServiceAuthenticationSchemes.ApiKey, null)
            .AddCertificate(ServiceAuthenticationSchemes.ClientCertificate);
        services.AddOptions<CertificateAuthenticationOptions>(ServiceAuthenticationSchemes.ClientCertificate)
            .Configure<ClientCertificateValidator, IOptions<ClientCertificateOptions>, TimeProvider>(ConfigureCertificateScheme);

        services.AddAuthorizationBuilder()
            .AddPolicy(AuthPolicies.Edge, policy => policy.RequireAuthenticatedUser().RequireRole(ServiceRoles.Edge))
            .AddPolicy(AuthPolicies.Application, policy => policy.RequireAuthenticatedUser().RequireRole(ServiceRoles.Application))
            .AddPolicy(AuthPolicies.Any, policy => policy.RequireAuthenticatedUser().RequireRole(ServiceRoles.Edge, ServiceRoles.Application))
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder()
                .RequireAuthenticatedUser().RequireRole(ServiceRoles.Edge, ServiceRoles.Application).Build());
    }

    /// <summary>A key header decides (so a wrong key is refused even on a connection with a good certificate); without
    /// one, a presented client certificate is authenticated when mutual TLS is on.</summary>
    private static string SelectScheme(HttpContext context)
    {
        if (ApiKeyAuthenticationHandler.ReadKey(context.Request.Headers, out _) != ApiKeyAuthenticationHandler.KeyRead.Absent)
        {
            return ServiceAuthenticationSchemes.ApiKey;
        }

        if (context.Connection.ClientCertificate is not null
            && context.RequestServices.GetRequiredService<IOptions<ClientCertificateOptions>>().Value.Enabled)
        {
            return ServiceAuthenticationSchemes.ClientCertificate;
        }

        return ServiceAuthenticationSchemes.ApiKey;
    }

    private static void ConfigureCertificateScheme(CertificateAuthenticationOptions options,
        ClientCertificateValidator validator, IOptions<ClientCertificateOptions> settings, TimeProvider time)
    {
        options.AllowedCertificateTypes = CertificateTypes.All;
        options.ChainTrustValidationMode = X509ChainTrustMode.CustomRootTrust;
        options.CustomTrustStore.AddRange(validator.TrustedRoots);
        options.RevocationMode = settings.Value.RevocationMode;
        options.ValidateCertificateUse = true;
        options.ValidateValidityPeriod = true;
        options.TimeProvider = time;
        options.Events = new CertificateAuthenticationEvents
        {
            OnCertificateValidated = context =>
            {
                // The handler lets any self-signed certificate through its chain check; our rule requires it pinned.
                if (!validator.IsTrusted(context.ClientCertificate))
                {
                    context.Fail("The client certificate is not trusted.");
                    return Task.CompletedTask;
                }

                var certificate = context.ClientCertificate;
                var name = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
                var identity = new ClaimsIdentity(
                    [
                        new Claim(ClaimTypes.Name, string.IsNullOrEmpty(name) ? certificate.Subject : name),
                        new Claim(ClaimTypes.Role, ServiceRoles.Edge),
                        new Claim(ServiceClaims.Credential, ServiceClaims.CertificateCredential),
                    ],
                    context.Scheme.Name);
                context.Principal = new ClaimsPrincipal(identity);
                context.Success();
                return Task.CompletedTask;
            },
        };
    }
}
