using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Xml.Linq;
using EdgeCloudVlm.Deployment.Tests.Support;
using EdgeCloudVlm.Edge.Inputs;
using EdgeCloudVlm.ServiceDefaults;

namespace EdgeCloudVlm.Deployment.Tests.Docker;

/// <summary>The Dockerfiles read against the repository and the services: what they copy, the settings they bake in,
/// user, health checks, ports and entry points. (No Docker engine here: building them is left to CI elsewhere; what
/// they publish is checked by <see cref="PublishTests"/>.)</summary>
public sealed class DockerfileTests
{
    public static TheoryData<string> Dockerfiles =>
        [.. Directory.GetFiles(RepositoryPaths.Docker, "*.Dockerfile").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    /// <summary>Which service a Dockerfile packages (the model image packages none).</summary>
    internal static string? ServiceOf(Dockerfile file) =>
        file.FileName.StartsWith("cloud", StringComparison.Ordinal) ? "cloud"
        : file.FileName.StartsWith("edge", StringComparison.Ordinal) ? "edge"
        : null;

    internal static string ProjectOf(string service) => service == "cloud"
        ? "cloud/EdgeCloudVlm.Cloud/EdgeCloudVlm.Cloud.csproj"
        : "edge/EdgeCloudVlm.Edge/EdgeCloudVlm.Edge.csproj";

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void CopySources_ExistAndAreInTheBuildContext(string name)
    {
        Dockerfile file = Dockerfile.Load(Path.Combine(RepositoryPaths.Docker, name));
        DockerIgnore ignore = DockerIgnore.Load();
        Assert.NotEmpty(file.ContextCopySources);
        foreach (string raw in file.ContextCopySources)
        {
            string source = Substitute(raw, file).TrimEnd('/');
            Assert.True(File.Exists(RepositoryPaths.InRepo(source)) || Directory.Exists(RepositoryPaths.InRepo(source)),
                $"{name} copies {source}, which the repository does not have");
            Assert.False(ignore.Excludes(source), $"{name} copies {source}, which .dockerignore leaves out of the context");
        }
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void BuildStage_CopiesEveryProjectThePublishNeeds(string name)
    {
        Dockerfile file = Dockerfile.Load(Path.Combine(RepositoryPaths.Docker, name));
        if (ServiceOf(file) is not { } service)
        {
            return;
        }

        string[] copied = [.. file.ContextCopySources.Select(s => s.TrimEnd('/'))];
        DockerIgnore ignore = DockerIgnore.Load();
        foreach (string required in (string[])["global.json", "Directory.Build.props", "Directory.Packages.props", "docker/publish.sh", "proto"])
        {
            Assert.Contains(required, copied);
        }

        foreach (string project in ProjectClosure(ProjectOf(service)))
        {
            string folder = Path.GetDirectoryName(project)!.Replace('\\', '/');
            Assert.True(copied.Any(c => folder == c || folder.StartsWith(c + "/", StringComparison.Ordinal)),
                $"{name} does not copy {folder}, which {service} needs");
            Assert.False(ignore.Excludes(folder), $".dockerignore leaves out {folder}, which {service} needs");
        }

        // Every image builds through the script the publish tests run, so what they check is what ships.
        Assert.Contains(file.Instructions, i => i.Keyword == "RUN" && i.Arguments.Contains($"docker/publish.sh {service} ", StringComparison.Ordinal));
        Assert.DoesNotContain(file.Instructions, i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet publish", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void EnvSettings_AreBoundByTheServicesOptions(string name)
    {
        Dockerfile file = Dockerfile.Load(Path.Combine(RepositoryPaths.Docker, name));
        if (ServiceOf(file) is not { } service)
        {
            return;
        }

        foreach (string stage in file.ImageStages)
        {
            List<string> problems = ServiceConfiguration.For(service).Check(file.Env(stage));
            Assert.True(problems.Count == 0, $"{name} ({stage}):\n{string.Join('\n', problems)}");
        }
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void ImageStages_RunAsTheNonRootAppUser(string name)
    {
        Dockerfile file = Dockerfile.Load(Path.Combine(RepositoryPaths.Docker, name));
        // The model image has no entry point; its one stage is the image.
        foreach (string stage in file.ImageStages.DefaultIfEmpty(file.Instructions[^1].Stage))
        {
            DockerInstruction? user = file.In(stage, "USER").LastOrDefault();
            Assert.True(user is not null, $"{name} ({stage}) runs as root");
            Assert.Equal("1654:1654", user.Arguments);
        }
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void HealthChecks_ProbeTheServicesOwnPortsAndPaths(string name)
    {
        Dockerfile file = Dockerfile.Load(Path.Combine(RepositoryPaths.Docker, name));
        if (ServiceOf(file) is not { } service)
        {
            return;
        }

        foreach (string stage in file.ImageStages)
        {
            string[] check = file.HealthCheck(stage) ?? throw new Xunit.Sdk.XunitException($"{name} ({stage}) has no HEALTHCHECK");
            Assert.Equal("ecv-healthcheck", check[0]);
            Assert.Contains(file.In(stage, "COPY"), c => c.Arguments == "--chmod=755 docker/healthcheck.sh /usr/local/bin/ecv-healthcheck");
            Dictionary<string, string?> env = file.Env(stage);
            if (service == "cloud")
            {
                int rest = UrlPort(env["Kestrel__Endpoints__Rest__Url"]);
                int grpc = UrlPort(env["Kestrel__Endpoints__Grpc__Url"]);
                Assert.Equal([rest.ToString(System.Globalization.CultureInfo.InvariantCulture), ServiceDefaultsExtensions.ReadinessPath], check[1..]);
                Assert.Equal($"{rest} {grpc}", file.In(stage, "EXPOSE").Single().Arguments);
            }
            else
            {
                // The agent's loopback endpoint, on its default port unless the image sets another.
                string port = env.GetValueOrDefault("Edge__Http__Port") ?? new LocalEndpointOptions().Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
                Assert.Equal([port, "/health/live"], check[1..]);
                Assert.True(EdgeMapsRoute("/health/live"), "the edge agent maps no /health/live");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void EntryPoints_StartThePublishedAssemblyWithTheDotnetHost(string name)
    {
        Dockerfile file = Dockerfile.Load(Path.Combine(RepositoryPaths.Docker, name));
        if (ServiceOf(file) is not { } service)
        {
            return;
        }

        string assembly = AssemblyName(ProjectOf(service)) + ".dll";
        foreach (string stage in file.ImageStages)
        {
            Assert.Equal(["dotnet", $"/app/{assembly}"], file.ExecForm(stage, "ENTRYPOINT") ?? []);
            Assert.Contains(file.In(stage, "COPY"), c => c.Arguments.EndsWith(" /app ./", StringComparison.Ordinal)
                || c.Arguments.EndsWith(" /app/ ./", StringComparison.Ordinal));
            Assert.Equal("/app", file.In(stage, "WORKDIR").Last().Arguments);
            if (service == "edge")
            {
                Assert.Equal(["run"], file.ExecForm(stage, "CMD") ?? []);
            }
        }
    }

    [Fact]
    public void JetsonDockerfile_BuildsTheOnnxRuntimeVersionTheAgentReferences()
    {
        Dockerfile jetson = Dockerfile.Load(Path.Combine(RepositoryPaths.Docker, "edge-jetson.Dockerfile"));
        string package = XDocument.Load(RepositoryPaths.InRepo("Directory.Packages.props")).Descendants("PackageVersion")
            .Single(p => (string?)p.Attribute("Include") == "Microsoft.ML.OnnxRuntime").Attribute("Version")!.Value;

        Assert.Equal(package, jetson.GlobalArgs["ORT_VERSION"]);
    }

    [Fact]
    public async Task HealthcheckScript_OkResponse_ExitsZero()
    {
        ProcessResult result = await ProbeAsync("HTTP/1.1 200 OK");

        Assert.True(result.Succeeded, result.Output);
    }

    [Fact]
    public async Task HealthcheckScript_NotReadyResponse_ExitsOne()
    {
        ProcessResult result = await ProbeAsync("HTTP/1.1 503 Service Unavailable");

        Assert.Equal(1, result.ExitCode);
    }

    [Fact]
    public async Task HealthcheckScript_NothingListening_ExitsOne()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        ProcessResult result = await ProcessRunner.RunAsync("bash", [Path.Combine(RepositoryPaths.Docker, "healthcheck.sh"), port.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            TimeSpan.FromSeconds(30));

        Assert.Equal(1, result.ExitCode);
    }

    [Fact]
    public async Task PublishScript_CloudForArm64_IsRefused()
    {
        ProcessResult result = await ProcessRunner.RunAsync("bash", [Path.Combine(RepositoryPaths.Docker, "publish.sh"), "cloud", "arm64", Path.GetTempPath()],
            TimeSpan.FromSeconds(30));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("linux/amd64 only", result.Output, StringComparison.Ordinal);
    }

    internal static int UrlPort(string? url) =>
        new Uri(url!.Replace("://+:", "://localhost:", StringComparison.Ordinal)).Port;

    internal static string AssemblyName(string project) =>
        XDocument.Load(RepositoryPaths.InRepo(project)).Descendants("AssemblyName").SingleOrDefault()?.Value
        ?? Path.GetFileNameWithoutExtension(project);

    /// <summary>A project and every project it references, transitively, as repository-relative paths.</summary>
    internal static IEnumerable<string> ProjectClosure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Path.GetFullPath(RepositoryPaths.InRepo(project))]);
        while (pending.TryPop(out string? current))
        {
            if (!seen.Add(current))
            {
                continue;
            }

            foreach (XElement reference in XDocument.Load(current).Descendants("ProjectReference"))
            {
                string include = reference.Attribute("Include")!.Value.Replace('\\', '/');
                pending.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(current)!, include)));
            }
        }

        return seen.Select(p => Path.GetRelativePath(RepositoryLayout.Root, p).Replace('\\', '/'));
    }

    private static bool EdgeMapsRoute(string route) =>
        Directory.GetFiles(RepositoryPaths.InRepo("edge", "EdgeCloudVlm.Edge"), "*.cs", SearchOption.AllDirectories)
            .Any(f => File.ReadAllText(f).Contains($"MapGet(\"{route}\"", StringComparison.Ordinal));

    private static string Substitute(string value, Dockerfile file)
    {
        foreach ((string arg, string defaultValue) in file.GlobalArgs.Concat(file.Instructions
            .Where(i => i.Keyword == "ARG" && i.Arguments.Contains('=', StringComparison.Ordinal))
            .Select(i => i.Arguments.Split('=', 2)).Select(p => new KeyValuePair<string, string>(p[0], p[1]))))
        {
            value = value.Replace("${" + arg + "}", defaultValue, StringComparison.Ordinal);
        }

        return value;
    }

    /// <summary>Runs healthcheck.sh against a one-shot server that answers with the given status line.</summary>
    private static async Task<ProcessResult> ProbeAsync(string statusLine)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        string? request = null;
        Task server = Task.Run(async () =>
        {
            using TcpClient client = await listener.AcceptTcpClientAsync();
            NetworkStream stream = client.GetStream();
            var reader = new StreamReader(stream, Encoding.ASCII);
            request = await reader.ReadLineAsync();
            while (!string.IsNullOrEmpty(await reader.ReadLineAsync()))
            {
            }

            await stream.WriteAsync(Encoding.ASCII.GetBytes($"{statusLine}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
        });

        ProcessResult result = await ProcessRunner.RunAsync("bash",
            [Path.Combine(RepositoryPaths.Docker, "healthcheck.sh"), port.ToString(System.Globalization.CultureInfo.InvariantCulture), "/health/ready"],
            TimeSpan.FromSeconds(30));
        await server.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("GET /health/ready HTTP/1.1", request);
        return result;
    }
}
