using System.Net;
using System.Text.Json;
using EdgeCloudVlm.ServiceDefaults.Tests.TestSupport;

namespace EdgeCloudVlm.ServiceDefaults.Tests.Authentication;

public sealed class ApiKeyAuthenticationTests : IAsyncLifetime
{
    private TestApp _app = null!;

    public async Task InitializeAsync() => _app = await TestApp.StartAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    public static TheoryData<string, string?, bool, HttpStatusCode> Matrix()
    {
        var data = new TheoryData<string, string?, bool, HttpStatusCode>();
        string[] endpoints = ["/test/edge", "/test/application", "/test/any", "/test/unmarked", "/metrics"];
        foreach (var bearer in new[] { true, false })
        {
            foreach (var endpoint in endpoints)
            {
                data.Add(endpoint, null, bearer, HttpStatusCode.Unauthorized);
                data.Add(endpoint, TestKeys.UnknownKey, bearer, HttpStatusCode.Unauthorized);
                data.Add(endpoint, TestKeys.EdgeKey, bearer,
                    endpoint == "/test/application" ? HttpStatusCode.Forbidden : HttpStatusCode.OK);
                data.Add(endpoint, TestKeys.ApplicationKey, bearer,
                    endpoint == "/test/edge" ? HttpStatusCode.Forbidden : HttpStatusCode.OK);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Request_KeyMatrix_AnswersByPolicy(string path, string? key, bool bearer, HttpStatusCode expected)
    {
        using var client = _app.CreateClient(key, bearer);

        using var response = await client.GetAsync(path);

        Assert.Equal(expected, response.StatusCode);
    }

    [Theory]
    [InlineData(TestKeys.EdgeKey, "/test/edge", TestKeys.EdgeName)]
    [InlineData(TestKeys.ApplicationKey, "/test/application", TestKeys.ApplicationName)]
    public async Task Request_ValidKey_IdentityIsTheKeyName(string key, string path, string name)
    {
        using var client = _app.CreateClient(key);

        var caller = await client.GetStringAsync(path);

        Assert.Equal(name, caller);
    }

    [Fact]
    public async Task Request_NoKey_401WithBearerChallengeAndJsonError()
    {
        using var client = _app.CreateClient();

        using var response = await client.GetAsync("/test/any");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        var error = await ErrorOf(response);
        Assert.Equal("missing_api_key", error.GetProperty("code").GetString());
        Assert.Contains("x-api-key", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_UnknownKey_401InvalidApiKey()
    {
        using var client = _app.CreateClient(TestKeys.UnknownKey);

        using var response = await client.GetAsync("/test/any");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal("invalid_api_key", (await ErrorOf(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Request_WrongRole_403NamesTheRole()
    {
        using var client = _app.CreateClient(TestKeys.EdgeKey);

        using var response = await client.GetAsync("/test/application");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var error = await ErrorOf(response);
        Assert.Equal("role_not_allowed", error.GetProperty("code").GetString());
        Assert.Contains("'edge'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_BothHeadersSameKey_Accepted()
    {
        using var client = _app.CreateClient(TestKeys.EdgeKey);
        client.DefaultRequestHeaders.Add("x-api-key", TestKeys.EdgeKey);

        using var response = await client.GetAsync("/test/edge");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Request_HeadersCarryDifferentKeys_401()
    {
        using var client = _app.CreateClient(TestKeys.EdgeKey);
        client.DefaultRequestHeaders.Add("x-api-key", TestKeys.ApplicationKey);

        using var response = await client.GetAsync("/test/any");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Request_BasicAuthorization_TreatedAsNoKey()
    {
        using var client = _app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", "dXNlcjpwYXNz");

        using var response = await client.GetAsync("/test/any");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("missing_api_key", (await ErrorOf(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Request_OversizedKey_401()
    {
        using var client = _app.CreateClient(TestKeys.EdgeKey + new string('x', 1000));

        using var response = await client.GetAsync("/test/any");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Request_KeyWithExtraCharacter_401()
    {
        using var client = _app.CreateClient(TestKeys.EdgeKey + "0");

        using var response = await client.GetAsync("/test/any");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(TestKeys.UnknownKey)]
    public async Task HealthProbes_AnyOrNoKey_Anonymous(string? key)
    {
        using var client = _app.CreateClient(key);

        using var live = await client.GetAsync(ServiceDefaultsExtensions.LivenessPath);
        using var ready = await client.GetAsync(ServiceDefaultsExtensions.ReadinessPath);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    private static async Task<JsonElement> ErrorOf(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("error").Clone();
    }
}
