using EdgeCloudVlm.ServiceDefaults.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;

namespace EdgeCloudVlm.ServiceDefaults.Tests;

public sealed class ServiceDefaultsExtensionsTests
{
    [Fact]
    public async Task MapServiceDefaults_WithoutAddServiceDefaults_ThrowsNamingTheFix()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        await using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapServiceDefaults());

        Assert.Contains("AddServiceDefaults", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void AddServiceDefaults_BlankServiceName_Throws(string name)
    {
        var builder = WebApplication.CreateBuilder();

        Assert.Throws<ArgumentException>(() => builder.AddServiceDefaults(name));
    }

    [Theory]
    [InlineData("Rate limit exceeded; retry after 3 s.", "Rate limit exceeded; retry after 3 s.")]
    [InlineData("100% busy", "100%25 busy")]
    [InlineData("clé\nnext", "cl%C3%A9%0Anext")]
    public void PercentEncode_GrpcMessage_EncodesOutsidePrintableAscii(string message, string expected)
    {
        Assert.Equal(expected, ErrorResponses.PercentEncode(message));
    }
}
