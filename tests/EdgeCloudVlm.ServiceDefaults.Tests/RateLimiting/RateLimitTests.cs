using System.Net;
using System.Text.Json;
using EdgeCloudVlm.ServiceDefaults.Tests.TestSupport;

namespace EdgeCloudVlm.ServiceDefaults.Tests.RateLimiting;

public sealed class RateLimitTests
{
    private static Dictionary<string, string?> Limit(string algorithm, int permits, int tokensPerPeriod = 1) => new()
    {
        ["RateLimiting:Algorithm"] = algorithm,
        ["RateLimiting:PermitLimit"] = permits.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RateLimiting:TokensPerPeriod"] = tokensPerPeriod.ToString(System.Globalization.CultureInfo.InvariantCulture),
        // Long enough that no refill happens during a test.
        ["RateLimiting:Period"] = "01:00:00",
    };

    [Theory]
    [InlineData("TokenBucket")]
    [InlineData("FixedWindow")]
    public async Task LimitedEndpoint_BudgetSpent_429WithRetryAfterAndJsonError(string algorithm)
    {
        await using var app = await TestApp.StartAsync(Limit(algorithm, permits: 2));
        using var client = app.CreateClient(TestKeys.EdgeKey);

        using var first = await client.GetAsync("/test/limited");
        using var second = await client.GetAsync("/test/limited");
        using var third = await client.GetAsync("/test/limited");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        var retryAfter = third.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        using var json = JsonDocument.Parse(await third.Content.ReadAsStringAsync());
        Assert.Equal("rate_limit_exceeded", json.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task LimitedEndpoint_OneKeySpent_OtherKeyStillServed()
    {
        await using var app = await TestApp.StartAsync(Limit("TokenBucket", permits: 1));
        using var edge = app.CreateClient(TestKeys.EdgeKey);
        using var application = app.CreateClient(TestKeys.ApplicationKey);

        using var edgeFirst = await edge.GetAsync("/test/limited");
        using var edgeSecond = await edge.GetAsync("/test/limited");
        using var applicationFirst = await application.GetAsync("/test/limited");

        Assert.Equal(HttpStatusCode.OK, edgeFirst.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, edgeSecond.StatusCode);
        Assert.Equal(HttpStatusCode.OK, applicationFirst.StatusCode);
    }

    [Fact]
    public async Task UnlimitedEndpoint_KeyBudgetSpent_StillServed()
    {
        await using var app = await TestApp.StartAsync(Limit("TokenBucket", permits: 1));
        using var client = app.CreateClient(TestKeys.EdgeKey);

        using var limited = await client.GetAsync("/test/limited");
        using var refused = await client.GetAsync("/test/limited");
        using var other = await client.GetAsync("/test/any");

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task LimitedEndpoint_WrongKeys_LimitedByAddressBeforeAuthorization()
    {
        await using var app = await TestApp.StartAsync(Limit("FixedWindow", permits: 1));
        using var client = app.CreateClient(TestKeys.UnknownKey);

        using var first = await client.GetAsync("/test/limited");
        using var second = await client.GetAsync("/test/limited");

        Assert.Equal(HttpStatusCode.Unauthorized, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
    }

    [Fact]
    public async Task LimitedEndpoint_Disabled_AdmitsBeyondTheLimit()
    {
        var settings = Limit("FixedWindow", permits: 1);
        settings["RateLimiting:Enabled"] = "false";
        await using var app = await TestApp.StartAsync(settings);
        using var client = app.CreateClient(TestKeys.EdgeKey);

        for (var i = 0; i < 5; i++)
        {
            using var response = await client.GetAsync("/test/limited");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Theory]
    [InlineData("RateLimiting:PermitLimit", "0", "PermitLimit")]
    [InlineData("RateLimiting:QueueLimit", "-1", "QueueLimit")]
    [InlineData("RateLimiting:Period", "00:00:00", "RateLimiting:Period")]
    [InlineData("RateLimiting:TokensPerPeriod", "500", "TokensPerPeriod must not exceed PermitLimit")]
    public async Task Start_BadLimitOption_FailsNamingIt(string key, string value, string expected)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() =>
            TestApp.StartAsync(new Dictionary<string, string?> { [key] = value }));

        Assert.Contains(expected, ServiceExceptions.AllMessages(error), StringComparison.Ordinal);
    }
}
