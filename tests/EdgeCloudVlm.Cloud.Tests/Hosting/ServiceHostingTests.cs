using System.Net;
using EdgeCloudVlm.Cloud.Tests.Support;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;

namespace EdgeCloudVlm.Cloud.Tests.Hosting;

[Collection(CloudCollection.Name)]
public sealed class ServiceHostingTests(CloudFixture cloud)
{
    [Theory]
    [InlineData("")]
    [InlineData("edgecloudvlm.v1.EdgeIngest")]
    [InlineData("edgecloudvlm.v1.Inference")]
    [InlineData("edgecloudvlm.v1.Codebooks")]
    public async Task GrpcHealthCheck_AfterLoading_EachServiceIsServingWithoutAKey(string service)
    {
        var health = new Health.HealthClient(cloud.Kestrel.CreateGrpcChannel(apiKey: null));

        HealthCheckResponse response = await health.CheckAsync(new HealthCheckRequest { Service = service });

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task GrpcReflection_ListsTheServices()
    {
        var reflection = new ServerReflection.ServerReflectionClient(cloud.Kestrel.CreateGrpcChannel(CloudFactory.EdgeKey));
        using AsyncDuplexStreamingCall<ServerReflectionRequest, ServerReflectionResponse> call = reflection.ServerReflectionInfo();

        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));

        List<string> names = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("edgecloudvlm.v1.EdgeIngest", names);
        Assert.Contains("edgecloudvlm.v1.Inference", names);
        Assert.Contains("edgecloudvlm.v1.Codebooks", names);
        Assert.Contains("grpc.health.v1.Health", names);
    }

    [Fact]
    public async Task HealthEndpoints_AfterLoading_AreOkWithoutAKey()
    {
        using HttpClient http = cloud.Kestrel.CreateRestClient(apiKey: null);

        using HttpResponseMessage live = await http.GetAsync("/health/live");
        using HttpResponseMessage ready = await http.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task Metrics_AfterAFrame_CountBytesAndTheirFp16Size()
    {
        await using (IngestSessionClient session = await IngestSessionClient.OpenAsync(cloud.Kestrel.CreateIngestClient()))
        {
            byte[] frame = cloud.Model.Frame(0);
            await session.AskAsync(IngestSessionClient.CodecFrame(Guid.NewGuid().ToString("N"), cloud.Model, frame, cloud.Model.Question(0)));
        }

        using HttpClient http = cloud.Kestrel.CreateRestClient(CloudFactory.EdgeKey);
        string page = await ScrapeUntilAsync(http, "edgecloudvlm_cloud_frame_fp16_equivalent_bytes_total");

        Assert.Contains("edgecloudvlm_cloud_frames_received_total{", page, StringComparison.Ordinal);
        Assert.Contains("edgecloudvlm_cloud_frame_payload_bytes_total{", page, StringComparison.Ordinal);
        Assert.Contains("edgecloudvlm_cloud_requests_total{", page, StringComparison.Ordinal);
    }

    private static async Task<string> ScrapeUntilAsync(HttpClient http, string metric)
    {
        // The Prometheus exporter caches a scrape briefly; a new measurement shows on a later scrape.
        for (int attempt = 0; ; attempt++)
        {
            string page = await http.GetStringAsync("/metrics");
            if (page.Contains(metric, StringComparison.Ordinal) || attempt == 50)
            {
                return page;
            }

            await Task.Delay(100);
        }
    }
}
