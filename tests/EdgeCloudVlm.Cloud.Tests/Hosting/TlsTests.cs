using System.Net;
using EdgeCloudVlm.Cloud.Tests.Support;
using EdgeCloudVlm.Contracts.V1;

namespace EdgeCloudVlm.Cloud.Tests.Hosting;

/// <summary>TLS by configuration: one HTTPS port (Http1AndHttp2) carries both the REST API and gRPC.</summary>
public sealed class TlsTests(TlsTests.TlsHost host) : IClassFixture<TlsTests.TlsHost>
{
    [Fact]
    public async Task OneHttpsPort_ServesRestOverHttp1AndGrpcOverHttp2()
    {
        CloudFactory cloud = host.Cloud;
        using HttpClient http = cloud.CreateRestClient();

        using HttpResponseMessage models = await http.GetAsync("/v1/models");
        ListModelsResponse grpc = await cloud.CreateInferenceClient().ListModelsAsync(new ListModelsRequest());

        Assert.Equal("https", cloud.RestAddress!.Scheme);
        Assert.Equal(HttpStatusCode.OK, models.StatusCode);
        Assert.Equal(HttpVersion.Version11, models.Version);
        Assert.NotEmpty(grpc.Models);
    }

    public sealed class TlsHost : IAsyncLifetime
    {
        public CloudFactory Cloud { get; } = new(kestrel: true, tls: true);

        public async Task InitializeAsync() => await Cloud.StartAsync();

        public async Task DisposeAsync() => await Cloud.DisposeAsync();
    }
}
