using System.Security.Claims;
using System.Text.Encodings.Web;
using EdgeCloudVlm.ServiceDefaults.Http;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace EdgeCloudVlm.ServiceDefaults.Authentication;

/// <summary>Authenticates <c>Authorization: Bearer &lt;key&gt;</c> (what OpenAI clients send) or
/// <c>x-api-key: &lt;key&gt;</c> (gRPC metadata is the same HTTP/2 header) against <see cref="ApiKeyStore"/>, and
/// writes the 401 and 403 answers for every scheme.</summary>
internal sealed partial class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    ApiKeyStore store)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    internal const string ApiKeyHeader = "x-api-key";
    private const string BearerPrefix = "Bearer ";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var read = ReadKey(Request.Headers, out var key);
        if (read == KeyRead.Absent)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (read == KeyRead.Conflicting)
        {
            LogConflictingHeaders(Logger, Context.Connection.RemoteIpAddress);
            return Task.FromResult(AuthenticateResult.Fail("Authorization and x-api-key carry different keys."));
        }

        if (!store.TryFind(key, out var name, out var role))
        {
            LogUnknownKey(Logger, Context.Connection.RemoteIpAddress);
            return Task.FromResult(AuthenticateResult.Fail("The API key matches no configured key."));
        }

        LogAuthenticated(Logger, name, role);
        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.Name, name),
                new Claim(ClaimTypes.Role, role),
                new Claim(ServiceClaims.Credential, ServiceClaims.ApiKeyCredential),
            ],
            Scheme.Name);
        var ticket = new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name);
        return Task.FromResult(AuthenticateResult.Success(ticket));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        var invalid = result.Failure is not null;
        Response.Headers.Append(HeaderNames.WWWAuthenticate,
            invalid ? "Bearer realm=\"edgecloudvlm\", error=\"invalid_token\"" : "Bearer realm=\"edgecloudvlm\"");
        var message = invalid
            ? "The API key is not valid."
            : "Authentication required: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'"
              + " (or connect with a trusted client certificate where mutual TLS is enabled).";
        await ErrorResponses.WriteAsync(Context, StatusCodes.Status401Unauthorized, ErrorResponses.GrpcUnauthenticated,
            "authentication_error", invalid ? "invalid_api_key" : "missing_api_key", message);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var user = Context.User;
        var role = user.FindFirst(ClaimTypes.Role)?.Value ?? "none";
        LogForbidden(Logger, user.Identity?.Name, role, Request.Path.Value);
        return ErrorResponses.WriteAsync(Context, StatusCodes.Status403Forbidden, ErrorResponses.GrpcPermissionDenied,
            "permission_error", "role_not_allowed", $"Callers with role '{role}' may not use this endpoint.");
    }

    internal enum KeyRead { Absent, Found, Conflicting }

    /// <summary>Reads the key from either header; both present with different values is refused rather than guessed.
    /// An Authorization header with another scheme (e.g. Basic) is not ours and is ignored.</summary>
    internal static KeyRead ReadKey(IHeaderDictionary headers, out string key)
    {
        var headerKey = Single(headers[ApiKeyHeader]);
        string? bearerKey = null;
        var authorization = Single(headers.Authorization);
        if (authorization is not null && authorization.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            bearerKey = authorization[BearerPrefix.Length..].Trim();
        }

        if (headerKey is not null && bearerKey is not null && !string.Equals(headerKey, bearerKey, StringComparison.Ordinal))
        {
            key = string.Empty;
            return KeyRead.Conflicting;
        }

        key = headerKey ?? bearerKey ?? string.Empty;
        return headerKey is null && bearerKey is null ? KeyRead.Absent : KeyRead.Found;
    }

    /// <summary>A header sent twice counts as present with an empty value, which no key matches.</summary>
    private static string? Single(StringValues values) => values.Count switch
    {
        0 => null,
        1 => values[0]?.Trim() ?? string.Empty,
        _ => string.Empty,
    };

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Caller {KeyName} authenticated by API key, role {Role}")]
    private static partial void LogAuthenticated(ILogger logger, string keyName, string role);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information,
        Message = "Refused an API key that matches no configured key (remote {RemoteAddress})")]
    private static partial void LogUnknownKey(ILogger logger, System.Net.IPAddress? remoteAddress);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information,
        Message = "Refused a request whose Authorization and x-api-key headers carry different keys (remote {RemoteAddress})")]
    private static partial void LogConflictingHeaders(ILogger logger, System.Net.IPAddress? remoteAddress);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information,
        Message = "Caller {CallerName} with role {Role} is not allowed on {Path}")]
    private static partial void LogForbidden(ILogger logger, string? callerName, string role, string? path);
}
