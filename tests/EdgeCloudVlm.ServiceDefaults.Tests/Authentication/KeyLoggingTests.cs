using System.Net;
using EdgeCloudVlm.ServiceDefaults.Authentication;
using EdgeCloudVlm.ServiceDefaults.Tests.TestSupport;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace EdgeCloudVlm.ServiceDefaults.Tests.Authentication;

public sealed class KeyLoggingTests
{
    [Theory]
    [InlineData(false, HttpProtocols.Http1AndHttp2)]
    [InlineData(true, HttpProtocols.Http1)]
    [InlineData(true, HttpProtocols.Http2)]
    public async Task Requests_EveryKeyOutcome_NoKeyOrHashInAnyLogEntry(bool kestrel, HttpProtocols protocols)
    {
        var settings = new Dictionary<string, string?>
        {
            ["RateLimiting:Algorithm"] = "FixedWindow",
            ["RateLimiting:PermitLimit"] = "1",
            ["RateLimiting:Period"] = "01:00:00",
        };
        await using var app = await TestApp.StartAsync(settings, kestrel: kestrel ? TestApp.Loopback(protocols) : null);

        var requests = new (string Path, string? Key, bool Bearer, HttpStatusCode Expected)[]
        {
            ("/test/edge", TestKeys.EdgeKey, true, HttpStatusCode.OK),
            ("/test/edge", TestKeys.EdgeKey, false, HttpStatusCode.OK),
            ("/test/application", TestKeys.ApplicationKey, false, HttpStatusCode.OK),
            ("/test/application", TestKeys.EdgeKey, true, HttpStatusCode.Forbidden),
            ("/test/any", TestKeys.UnknownKey, true, HttpStatusCode.Unauthorized),
            ("/test/any", TestKeys.UnknownKey, false, HttpStatusCode.Unauthorized),
            ("/test/limited", TestKeys.EdgeKey, true, HttpStatusCode.OK),
            ("/test/limited", TestKeys.EdgeKey, false, HttpStatusCode.TooManyRequests),
            ("/metrics", TestKeys.ApplicationKey, true, HttpStatusCode.OK),
        };
        foreach (var (path, key, bearer, expected) in requests)
        {
            using var client = kestrel ? KestrelClient(app, protocols) : app.CreateClient();
            TestApp.Authorize(client, key, bearer);
            using var response = await client.GetAsync(path);
            Assert.Equal(expected, response.StatusCode);
        }

        var log = app.Logs.AllText().ToList();
        // The names are logged, which shows that the capture saw the authentication events.
        Assert.Contains(log, line => line.Contains(TestKeys.EdgeName, StringComparison.Ordinal));
        Assert.Contains(log, line => line.Contains("matches no configured key", StringComparison.Ordinal));
        foreach (var secret in new[] { TestKeys.EdgeKey, TestKeys.ApplicationKey, TestKeys.UnknownKey })
        {
            var hash = ApiKeyHash.Compute(secret);
            Assert.DoesNotContain(log, line => line.Contains(secret, StringComparison.Ordinal));
            Assert.DoesNotContain(log, line => line.Contains(hash, StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain(log, line => line.Contains(secret[..12], StringComparison.Ordinal));
        }
    }

    private static HttpClient KestrelClient(TestApp app, HttpProtocols protocols)
    {
        var client = new HttpClient { BaseAddress = app.KestrelAddress };
        if (protocols == HttpProtocols.Http2)
        {
            client.DefaultRequestVersion = HttpVersion.Version20;
            client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        return client;
    }
}
