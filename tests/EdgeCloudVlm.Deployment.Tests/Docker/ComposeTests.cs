using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using EdgeCloudVlm.Deployment.Tests.Support;
using EdgeCloudVlm.ServiceDefaults.Telemetry;

namespace EdgeCloudVlm.Deployment.Tests.Docker;

/// <summary>docker/docker-compose.yml (read as JSON by validate.sh) against the Dockerfiles and the services.</summary>
[Collection(ValidationCollection.Name)]
public sealed class ComposeTests(ValidationRun run)
{
    private JsonObject Services => run.Json("docker-compose")["services"]!.AsObject();

    private Dictionary<string, string?> Environment(string service) =>
        Services[service]!["environment"]!.AsObject().ToDictionary(p => p.Key, p => p.Value?.ToString(), StringComparer.Ordinal);

    [Theory]
    [InlineData("cloud")]
    [InlineData("edge")]
    public void Environment_IsBoundByTheServicesOptions(string service)
    {
        List<string> problems = ServiceConfiguration.For(service).Check(Environment(service));

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void EdgeKey_IsOneTheCloudAcceptsForTheEdgeRole()
    {
        Dictionary<string, string?> cloud = Environment("cloud");
        string edgeKey = Environment("edge")["Edge__Uplink__ApiKey"]!;
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(edgeKey)));

        string? entry = cloud.Where(p => p.Key.EndsWith("__Sha256", StringComparison.Ordinal) && p.Value == hash)
            .Select(p => p.Key[..^"__Sha256".Length]).SingleOrDefault();
        Assert.True(entry is not null, "the edge's key matches no configured hash");
        Assert.Equal("edge", cloud[entry + "__Role"]);
    }

    [Fact]
    public void ApplicationKey_OfTheHeaderComment_IsAccepted()
    {
        // The file tells users to call REST with this key.
        string header = File.ReadAllText(Path.Combine(RepositoryPaths.Docker, "docker-compose.yml"));
        Assert.Contains("with the key ecv-dev-application", header, StringComparison.Ordinal);
        string hash = Convert.ToHexStringLower(SHA256.HashData("ecv-dev-application"u8));
        Dictionary<string, string?> cloud = Environment("cloud");
        string entry = cloud.Single(p => p.Value == hash).Key[..^"__Sha256".Length];
        Assert.Equal("application", cloud[entry + "__Role"]);
    }

    [Fact]
    public void EdgeUplink_PointsAtTheCloudsGrpcEndpoint()
    {
        Dockerfile cloudImage = Dockerfile.Load(Path.Combine(RepositoryPaths.Docker, "cloud.Dockerfile"));
        int grpc = DockerfileTests.UrlPort(cloudImage.Env((string)Services["cloud"]!["build"]!["target"]!)["Kestrel__Endpoints__Grpc__Url"]);

        Assert.Equal(new Uri($"http://cloud:{grpc}"), new Uri(Environment("edge")["Edge__Uplink__Address"]!));
        Assert.Equal("service_healthy", (string?)Services["edge"]!["depends_on"]!["cloud"]!["condition"]);
    }

    [Theory]
    [InlineData("cloud")]
    [InlineData("edge")]
    public void Builds_TargetExistingImageStages(string service)
    {
        JsonNode build = Services[service]!["build"]!;
        Assert.Equal("..", (string?)build["context"]);
        Dockerfile file = Dockerfile.Load(RepositoryPaths.InRepo((string)build["dockerfile"]!));
        string stage = (string?)build["target"] ?? file.Instructions[^1].Stage;

        Assert.Contains(stage, file.ImageStages);
    }

    [Theory]
    [InlineData("cloud")]
    [InlineData("edge")]
    public void Services_AreHardenedAndWriteOnlyToVolumes(string service)
    {
        JsonNode s = Services[service]!;
        Assert.True((bool?)s["read_only"]);
        Assert.Contains("/tmp", s["tmpfs"]!.AsArray().Select(t => (string?)t));
        Assert.Contains("ALL", s["cap_drop"]!.AsArray().Select(t => (string?)t));
        Assert.Contains("no-new-privileges:true", s["security_opt"]!.AsArray().Select(t => (string?)t));

        string[] targets = [.. Mounts(service).Select(m => m.Target)];
        if (service == "edge")
        {
            Dockerfile image = Dockerfile.Load(Path.Combine(RepositoryPaths.Docker, "edge.Dockerfile"));
            Dictionary<string, string?> env = image.Env("edge");
            Assert.Contains(env["Edge__DataDirectory"], targets);
            Assert.Contains(env["Edge__Watch__Folder"], targets);
        }
    }

    [Fact]
    public void ModelFolders_ResolveThroughTheBindMountToTheDemoModel()
    {
        string[] folders =
        [
            .. Environment("cloud").Where(p => p.Key.StartsWith("Models__Folders__", StringComparison.Ordinal)).Select(p => p.Value!),
            Environment("edge")["Edge__ModelFolder"]!,
        ];
        foreach (string folder in folders)
        {
            foreach (string service in (string[])["cloud", "edge"])
            {
                (string source, string target, bool readOnly) = Mounts(service).Single(m => folder.StartsWith(m.Target + "/", StringComparison.Ordinal));
                string host = Path.GetFullPath(Path.Combine(RepositoryPaths.Docker, source, folder[(target.Length + 1)..]));
                Assert.True(File.Exists(Path.Combine(host, "model.json")), $"{service}: {folder} is {host}, which has no model.json");
                Assert.True(readOnly, $"{service} mounts the models writable");
            }
        }
    }

    [Fact]
    public void Prometheus_ScrapesTheCloudsMetricsPage()
    {
        JsonNode prometheus = run.Json("prometheus");
        JsonNode job = prometheus["scrape_configs"]!.AsArray().Single(j => (string?)j!["job_name"] == "edgecloudvlm-cloud")!;
        Dockerfile cloudImage = Dockerfile.Load(Path.Combine(RepositoryPaths.Docker, "cloud.Dockerfile"));
        int rest = DockerfileTests.UrlPort(cloudImage.Env("cloud-cpu")["Kestrel__Endpoints__Rest__Url"]);

        Assert.Equal(new MetricsPageOptions().Path, (string?)job["metrics_path"]);
        Assert.Equal($"cloud:{rest}", (string?)job["static_configs"]![0]!["targets"]![0]);
        Assert.Equal("true", Environment("cloud")["Telemetry__Metrics__AllowAnonymous"]);
        Assert.Contains("./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro",
            Services["prometheus"]!["volumes"]!.AsArray().Select(v => (string?)v));
    }

    [Fact]
    public void OtelCollector_IsAnOptionalProfileWithItsConfig()
    {
        JsonNode collector = Services["otel-collector"]!;

        Assert.Equal(["otel"], collector["profiles"]!.AsArray().Select(p => (string)p!));
        string volume = (string)collector["volumes"]![0]!;
        Assert.True(File.Exists(Path.Combine(RepositoryPaths.Docker, volume.Split(':')[0])));
        foreach (string service in (string[])["cloud", "edge"])
        {
            Assert.Equal("${ECV_OTLP_ENDPOINT:-}", Environment(service)["Telemetry__OtlpEndpoint"]);
        }
    }

    /// <summary>Short-syntax volumes of a service: (source, target, read-only).</summary>
    private IEnumerable<(string Source, string Target, bool ReadOnly)> Mounts(string service) =>
        (Services[service]!["volumes"]?.AsArray() ?? []).Select(v =>
        {
            string[] parts = ((string)v!).Split(':');
            return (parts[0], parts[1], parts.Length > 2 && parts[2] == "ro");
        });
}
