using System.Net;
using System.Net.Http.Headers;
using EdgeCloudVlm.Reliability.Tests.Support;
using EdgeCloudVlm.ServiceDefaults.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.Reliability.Tests.Security;

/// <summary>
/// API keys are stored as SHA-256 hashes: configuration has no place for a key itself, the hash does not work as a
/// key, a key given where its hash belongs stops the service at start without echoing it, and no log line written
/// while keys are used or refused holds a key or a hash.
/// </summary>
[Collection(CloudCollection.Name)]
public sealed class KeyStorageTests(CloudFixture fixture)
{
    [Fact]
    public void ApiKeyEntry_HoldsNameRoleAndHashOnly()
    {
        string[] properties = [.. typeof(ApiKeyEntry).GetProperties().Select(p => p.Name).Order(StringComparer.Ordinal)];

        Assert.Equal(["Name", "Role", "Sha256"], properties);
        Assert.All(fixture.Cloud.Services.GetRequiredService<IOptions<ApiKeyOptions>>().Value.ApiKeys,
            entry => Assert.Matches("^[0-9a-f]{64}$", entry.Sha256.ToLowerInvariant()));
    }

    [Fact]
    public async Task Models_HashPresentedAsKey_Unauthorized()
    {
        using var http = new HttpClient { BaseAddress = fixture.Cloud.RestAddress };

        using HttpResponseMessage withKey = await Get(http, CloudApp.ApplicationKey);
        using HttpResponseMessage withHash = await Get(http, ApiKeyHash.Compute(CloudApp.ApplicationKey));

        Assert.Equal(HttpStatusCode.OK, withKey.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, withHash.StatusCode);
    }

    [Fact]
    public async Task Start_KeyWhereItsHashBelongs_FailsNamingTheSettingNotTheKey()
    {
        const string plainKey = "plain-text-key-in-configuration-3b7";

        Exception failure = await Assert.ThrowsAnyAsync<Exception>(() => CloudApp.StartAsync(s => s["Auth:ApiKeys:0:Sha256"] = plainKey, waitReady: false));

        string message = failure.ToString();
        Assert.Contains("Sha256", message, StringComparison.Ordinal);
        Assert.DoesNotContain(plainKey, message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_AfterAcceptedAndRefusedKeys_HoldNoKeyOrHash()
    {
        using var http = new HttpClient { BaseAddress = fixture.Cloud.RestAddress };
        const string guessed = "guessed-key-that-must-not-be-logged-71c";
        (await Get(http, CloudApp.ApplicationKey)).Dispose();
        (await Get(http, CloudApp.EdgeKey)).Dispose();
        (await Get(http, guessed)).Dispose();

        string[] secrets =
        [
            CloudApp.ApplicationKey, CloudApp.EdgeKey, guessed,
            ApiKeyHash.Compute(CloudApp.ApplicationKey), ApiKeyHash.Compute(CloudApp.EdgeKey), ApiKeyHash.Compute(guessed),
        ];
        Assert.NotEmpty(fixture.Cloud.Logs.Lines);
        Assert.All(fixture.Cloud.Logs.Lines, line => Assert.DoesNotContain(secrets, s => line.Contains(s, StringComparison.OrdinalIgnoreCase)));
    }

    private static Task<HttpResponseMessage> Get(HttpClient http, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/v1/models", UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http.SendAsync(request);
    }
}
