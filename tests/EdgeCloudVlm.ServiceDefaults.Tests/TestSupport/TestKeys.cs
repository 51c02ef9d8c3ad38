using EdgeCloudVlm.ServiceDefaults.Authentication;

namespace EdgeCloudVlm.ServiceDefaults.Tests.TestSupport;

/// <summary>Keys the test hosts accept, configured only by hash like a real deployment.</summary>
internal static class TestKeys
{
    public const string EdgeName = "camera-7";
    public const string EdgeKey = "ecv-edge-6f1d0c9a8b7e4d2f93a1c5e7b9d0f2a4";
    public const string ApplicationName = "dashboard";
    public const string ApplicationKey = "ecv-app-2b4d6f8091a3c5e7f9b1d3f5a7c9e1b3";
    public const string UnknownKey = "ecv-nobody-0000000000000000000000000000";

    public static Dictionary<string, string?> Settings() => new()
    {
        ["Auth:ApiKeys:0:Name"] = EdgeName,
        ["Auth:ApiKeys:0:Role"] = "edge",
        ["Auth:ApiKeys:0:Sha256"] = ApiKeyHash.Compute(EdgeKey),
        ["Auth:ApiKeys:1:Name"] = ApplicationName,
        ["Auth:ApiKeys:1:Role"] = "Application",
        ["Auth:ApiKeys:1:Sha256"] = ApiKeyHash.Compute(ApplicationKey).ToUpperInvariant(),
    };
}
