using EdgeCloudVlm.ServiceDefaults.Authentication;
using EdgeCloudVlm.ServiceDefaults.Tests.TestSupport;

namespace EdgeCloudVlm.ServiceDefaults.Tests.Authentication;

public sealed class ApiKeyOptionsValidationTests
{
    private static readonly string GoodHash = ApiKeyHash.Compute("a-third-key");

    public static TheoryData<string, string, string, string> BadEntries() => new()
    {
        // name, role, hash, expected message part
        { "camera-9", "edge", "abc123", "(camera-9): Sha256 must be 64 hexadecimal characters" },
        { "camera-9", "edge", new string('g', 64), "(camera-9): Sha256 must be 64 hexadecimal characters" },
        { "camera-9", "admin", GoodHash, "(camera-9): Role must be 'edge' or 'application'" },
        { "camera-9", "", GoodHash, "(camera-9): Role must be" },
        { "", "edge", GoodHash, "Auth:ApiKeys:2: Name is required" },
        { TestKeys.EdgeName, "edge", GoodHash, $"({TestKeys.EdgeName}): the name is used by an earlier key" },
        { "CAMERA-7", "edge", GoodHash, "(CAMERA-7): the name is used by an earlier key" },
        { "camera-9", "edge", ApiKeyHash.Compute(TestKeys.EdgeKey), "(camera-9): the same key hash is configured for an earlier entry" },
    };

    [Theory]
    [MemberData(nameof(BadEntries))]
    public async Task Start_BadKeyEntry_FailsNamingTheEntryButNotTheHash(string name, string role, string hash, string expected)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Auth:ApiKeys:2:Name"] = name,
            ["Auth:ApiKeys:2:Role"] = role,
            ["Auth:ApiKeys:2:Sha256"] = hash,
        };

        var error = await Assert.ThrowsAnyAsync<Exception>(() => TestApp.StartAsync(settings));

        var messages = ServiceExceptions.AllMessages(error);
        Assert.Contains(expected, messages, StringComparison.Ordinal);
        if (hash.Length > 0)
        {
            Assert.DoesNotContain(hash, messages, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task Start_SeveralBadEntries_ReportsEach()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Auth:ApiKeys:2:Name"] = "camera-8",
            ["Auth:ApiKeys:2:Role"] = "root",
            ["Auth:ApiKeys:2:Sha256"] = GoodHash,
            ["Auth:ApiKeys:3:Name"] = "camera-9",
            ["Auth:ApiKeys:3:Role"] = "edge",
            ["Auth:ApiKeys:3:Sha256"] = "00",
        };

        var error = await Assert.ThrowsAnyAsync<Exception>(() => TestApp.StartAsync(settings));

        var messages = ServiceExceptions.AllMessages(error);
        Assert.Contains("(camera-8): Role", messages, StringComparison.Ordinal);
        Assert.Contains("(camera-9): Sha256", messages, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_NoKeysConfigured_StartsAndRefusesEveryone()
    {
        await using var app = await TestApp.StartAsync(includeTestKeys: false);
        using var client = app.CreateClient(TestKeys.EdgeKey);

        using var response = await client.GetAsync("/test/edge");

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains(app.Logs.Entries, e => e.Message.Contains("No API keys are configured", StringComparison.Ordinal));
    }
}
