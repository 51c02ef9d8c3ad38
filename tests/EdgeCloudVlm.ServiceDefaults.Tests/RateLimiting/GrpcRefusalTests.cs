using EdgeCloudVlm.ServiceDefaults.Tests.TestSupport;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace EdgeCloudVlm.ServiceDefaults.Tests.RateLimiting;

/// <summary>Refusals as a gRPC client sees them, over real HTTP/2 (cleartext) on Kestrel.</summary>
public sealed class GrpcRefusalTests
{
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);
    private static readonly Method<byte[], byte[]> EdgeMethod = new(MethodType.Unary, "test.Probe", "Edge", Bytes, Bytes);
    private static readonly Method<byte[], byte[]> ApplicationMethod = new(MethodType.Unary, "test.Probe", "Application", Bytes, Bytes);

    private static Task<TestApp> StartAsync() => TestApp.StartAsync(
        new Dictionary<string, string?>
        {
            ["RateLimiting:Algorithm"] = "TokenBucket",
            ["RateLimiting:PermitLimit"] = "1",
            ["RateLimiting:TokensPerPeriod"] = "1",
            ["RateLimiting:Period"] = "01:00:00",
        },
        kestrel: TestApp.Loopback(HttpProtocols.Http2));

    private static async Task<RpcException?> CallAsync(TestApp app, Method<byte[], byte[]> method, Metadata headers)
    {
        using var channel = GrpcChannel.ForAddress(app.KestrelAddress!);
        try
        {
            await channel.CreateCallInvoker().AsyncUnaryCall(method, null, new CallOptions(headers), []);
            return null;
        }
        catch (RpcException e)
        {
            return e;
        }
    }

    [Fact]
    public async Task Call_BudgetSpent_ResourceExhaustedWithRetryAfterTrailer()
    {
        await using var app = await StartAsync();
        var headers = new Metadata { { "x-api-key", TestKeys.EdgeKey } };

        var first = await CallAsync(app, EdgeMethod, headers);
        var second = await CallAsync(app, EdgeMethod, headers);

        Assert.Null(first);
        Assert.NotNull(second);
        Assert.Equal(StatusCode.ResourceExhausted, second.StatusCode);
        Assert.Contains("Rate limit exceeded", second.Status.Detail, StringComparison.Ordinal);
        Assert.True(int.Parse(second.Trailers.GetValue("retry-after")!, System.Globalization.CultureInfo.InvariantCulture) >= 1);
    }

    [Fact]
    public async Task Call_NoKey_UnauthenticatedWithMessage()
    {
        await using var app = await StartAsync();

        var error = await CallAsync(app, EdgeMethod, []);

        Assert.NotNull(error);
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains("Authorization: Bearer", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_UnknownBearerKey_Unauthenticated()
    {
        await using var app = await StartAsync();

        var error = await CallAsync(app, EdgeMethod, new Metadata { { "authorization", "Bearer " + TestKeys.UnknownKey } });

        Assert.NotNull(error);
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Equal("The API key is not valid.", error.Status.Detail);
    }

    [Fact]
    public async Task Call_WrongRole_PermissionDenied()
    {
        await using var app = await StartAsync();

        var error = await CallAsync(app, ApplicationMethod, new Metadata { { "x-api-key", TestKeys.EdgeKey } });

        Assert.NotNull(error);
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Contains("'edge'", error.Status.Detail, StringComparison.Ordinal);
    }
}
