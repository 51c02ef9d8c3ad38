using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using EdgeCloudVlm.Reliability.Tests.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace EdgeCloudVlm.Reliability.Tests.Security;

/// <summary>
/// Every endpoint the cloud maps, REST and each gRPC method, called with no key, a wrong key (in both headers the
/// service reads) and a key of the other role: each is refused with its own status, and the right key gets through.
/// Only the probes (<c>/health/live</c>, <c>/health/ready</c> and the gRPC health service) are open. The table below
/// must name every mapped endpoint, so a new endpoint cannot be added without deciding who may call it.
/// </summary>
[Collection(CloudCollection.Name)]
public sealed class SecurityMatrixTests(CloudFixture fixture, ITestOutputHelper output)
{
    public enum Access
    {
        Anonymous,
        AnyKey,
        Application,
        Edge,
    }

    public enum Credential
    {
        Missing,
        WrongBearer,
        WrongXApiKey,
        WrongRole,
        Right,
    }

    private const string WrongKey = "not-a-key-of-this-service-0f9e";

    /// <summary>Route pattern (with the HTTP method) to who may call it.</summary>
    private static readonly Dictionary<string, Access> Expected = new(StringComparer.Ordinal)
    {
        ["GET /health/live"] = Access.Anonymous,
        ["GET /health/ready"] = Access.Anonymous,
        ["GET /metrics"] = Access.AnyKey,
        ["POST /v1/chat/completions"] = Access.Application,
        ["GET /v1/models"] = Access.Application,
        ["GET /v1/models/{id}"] = Access.Application,
        ["POST /edgecloudvlm.v1.EdgeIngest/Stream"] = Access.Edge,
        ["POST /edgecloudvlm.v1.Inference/Generate"] = Access.Application,
        ["POST /edgecloudvlm.v1.Inference/ListModels"] = Access.AnyKey,
        ["POST /edgecloudvlm.v1.Codebooks/List"] = Access.AnyKey,
        ["POST /edgecloudvlm.v1.Codebooks/Fetch"] = Access.AnyKey,
        ["POST /grpc.health.v1.Health/Check"] = Access.Anonymous,
        ["POST /grpc.health.v1.Health/Watch"] = Access.Anonymous,
        ["POST /grpc.health.v1.Health/List"] = Access.Anonymous,
        ["POST /grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"] = Access.AnyKey,
        ["POST /grpc.reflection.v1.ServerReflection/ServerReflectionInfo"] = Access.AnyKey,
    };

    public static TheoryData<string, Credential> Cases()
    {
        var data = new TheoryData<string, Credential>();
        foreach ((string endpoint, Access access) in Expected)
        {
            foreach (Credential credential in Enum.GetValues<Credential>())
            {
                if (credential == Credential.WrongRole && access is Access.Anonymous or Access.AnyKey)
                {
                    continue;
                }

                data.Add(endpoint, credential);
            }
        }

        return data;
    }

    [Fact]
    public void Table_NamesEveryMappedEndpoint()
    {
        EndpointDataSource source = fixture.Cloud.Services.GetRequiredService<EndpointDataSource>();
        var mapped = new SortedSet<string>(StringComparer.Ordinal);
        foreach (RouteEndpoint endpoint in source.Endpoints.OfType<RouteEndpoint>())
        {
            string pattern = "/" + endpoint.RoutePattern.RawText!.TrimStart('/');
            if (pattern.Contains("{unimplemented", StringComparison.Ordinal))
            {
                continue; // gRPC's catch-all for unknown methods, checked below.
            }

            IReadOnlyList<string> methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            foreach (string method in methods)
            {
                mapped.Add($"{method} {pattern}");
            }
        }

        output.WriteLine(string.Join(Environment.NewLine, mapped));
        Assert.DoesNotContain(mapped, m => !Expected.ContainsKey(m));
        Assert.DoesNotContain(Expected.Keys, k => !mapped.Contains(k) && !Optional(k));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Endpoint_Credential_RefusedUnlessAllowed(string endpoint, Credential credential)
    {
        Access access = Expected[endpoint];
        if (!Mapped(endpoint))
        {
            Assert.True(Optional(endpoint), $"{endpoint} is not mapped");
            return;
        }

        string[] parts = endpoint.Split(' ', 2);
        string path = parts[1].Replace("{id}", "shapes-vqa", StringComparison.Ordinal);
        Action<HttpRequestHeaders>? headers = Headers(credential, access);
        bool refusedExpected = access != Access.Anonymous && credential != Credential.Right;

        if (path.StartsWith("/v1/", StringComparison.Ordinal) || path.StartsWith("/health/", StringComparison.Ordinal) || path == "/metrics")
        {
            using var http = new HttpClient { BaseAddress = fixture.Cloud.RestAddress };
            using var request = new HttpRequestMessage(new HttpMethod(parts[0]), new Uri(path, UriKind.Relative));
            headers?.Invoke(request.Headers);
            if (parts[0] == "POST")
            {
                request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
            }

            using HttpResponseMessage response = await http.SendAsync(request);
            string body = await response.Content.ReadAsStringAsync();
            output.WriteLine($"{endpoint} {credential}: {(int)response.StatusCode} {body[..Math.Min(body.Length, 200)]}");
            if (!refusedExpected)
            {
                Assert.NotEqual(HttpStatusCode.Unauthorized, response.StatusCode);
                Assert.NotEqual(HttpStatusCode.Forbidden, response.StatusCode);
                Assert.True((int)response.StatusCode < 500, body);
                return;
            }

            (HttpStatusCode status, string code) = credential switch
            {
                Credential.Missing => (HttpStatusCode.Unauthorized, "missing_api_key"),
                Credential.WrongRole => (HttpStatusCode.Forbidden, "role_not_allowed"),
                _ => (HttpStatusCode.Unauthorized, "invalid_api_key"),
            };
            Assert.Equal(status, response.StatusCode);
            using JsonDocument error = JsonDocument.Parse(body);
            Assert.Equal(code, error.RootElement.GetProperty("error").GetProperty("code").GetString());
            return;
        }

        using var grpc = new HttpClient { BaseAddress = fixture.Cloud.GrpcAddress };
        bool streamsForever = path.EndsWith("/Watch", StringComparison.Ordinal);
        (HttpStatusCode http2, int? grpcStatus, string? message) = await RawGrpc.CallAsync(grpc, path, headers, headersOnly: streamsForever && !refusedExpected);
        output.WriteLine($"{endpoint} {credential}: HTTP {(int)http2} grpc-status {grpcStatus} {message}");
        Assert.Equal(HttpStatusCode.OK, http2);
        if (!refusedExpected)
        {
            Assert.NotEqual(16, grpcStatus);
            Assert.NotEqual(7, grpcStatus);
            Assert.NotEqual(13, grpcStatus);
            return;
        }

        Assert.Equal(credential == Credential.WrongRole ? 7 : 16, grpcStatus);
    }

    [Fact]
    public async Task UnknownGrpcMethod_WithoutKey_Unauthenticated_WithKey_Unimplemented()
    {
        using var grpc = new HttpClient { BaseAddress = fixture.Cloud.GrpcAddress };

        (_, int? anonymous, _) = await RawGrpc.CallAsync(grpc, "/edgecloudvlm.v1.Inference/NoSuchMethod", null);
        (_, int? withKey, _) = await RawGrpc.CallAsync(grpc, "/edgecloudvlm.v1.Inference/NoSuchMethod", h => h.Add("x-api-key", CloudApp.EdgeKey));

        Assert.Equal(16, anonymous);
        Assert.Equal(12, withKey);
    }

    private bool Mapped(string endpoint)
    {
        EndpointDataSource source = fixture.Cloud.Services.GetRequiredService<EndpointDataSource>();
        string[] parts = endpoint.Split(' ', 2);
        return source.Endpoints.OfType<RouteEndpoint>().Any(e =>
            "/" + e.RoutePattern.RawText!.TrimStart('/') == parts[1]
            && (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Contains(parts[0]));
    }

    // Versions of Grpc.HealthCheck and reflection differ in the methods they map; these may be absent.
    private static bool Optional(string endpoint) =>
        endpoint.EndsWith("Health/List", StringComparison.Ordinal) || endpoint.Contains("reflection.v1.", StringComparison.Ordinal);

    private static Action<HttpRequestHeaders>? Headers(Credential credential, Access access)
    {
        string right = access == Access.Edge ? CloudApp.EdgeKey : CloudApp.ApplicationKey;
        string other = access == Access.Edge ? CloudApp.ApplicationKey : CloudApp.EdgeKey;
        return credential switch
        {
            Credential.Missing => null,
            Credential.WrongBearer => h => h.Authorization = new AuthenticationHeaderValue("Bearer", WrongKey),
            Credential.WrongXApiKey => h => h.Add("x-api-key", WrongKey),
            Credential.WrongRole => h => h.Authorization = new AuthenticationHeaderValue("Bearer", other),
            _ => access == Access.Anonymous ? null : h => h.Authorization = new AuthenticationHeaderValue("Bearer", right),
        };
    }
}
