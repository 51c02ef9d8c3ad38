using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EdgeCloudVlm.Deployment.Tests.Support;
using EdgeCloudVlm.ServiceDefaults;
using EdgeCloudVlm.ServiceDefaults.Telemetry;

namespace EdgeCloudVlm.Deployment.Tests.Helm;

/// <summary>The rendered chart checked against the services' code: probe paths and ports, configuration keys and
/// their values, where secrets go, resources and the security context.</summary>
[Collection(ValidationCollection.Name)]
public sealed partial class ChartCrossCheckTests(ValidationRun run)
{
    public static TheoryData<string> Combinations => ValidationRun.CombinationData;

    [Theory]
    [MemberData(nameof(Combinations))]
    public void CloudProbes_UseServiceDefaultsPathsOnTheRestEndpoint(string combination)
    {
        Manifests m = run.Rendered(combination);
        if (m.Workload("cloud") is not { } deployment)
        {
            return;
        }

        JsonObject cloud = Manifests.Container(deployment, "cloud");
        Dictionary<string, string?> settings = m.Settings(cloud, out _);
        int restPort = UrlPort(settings["Kestrel__Endpoints__Rest__Url"]);
        Assert.Equal("Http1", settings["Kestrel__Endpoints__Rest__Protocols"]);
        Assert.Equal(restPort, NamedPort(cloud, "http"));
        Assert.Equal(UrlPort(settings["Kestrel__Endpoints__Grpc__Url"]), NamedPort(cloud, "grpc"));

        Assert.Equal(ServiceDefaultsExtensions.LivenessPath, (string?)cloud["livenessProbe"]!["httpGet"]!["path"]);
        Assert.Equal(ServiceDefaultsExtensions.ReadinessPath, (string?)cloud["readinessProbe"]!["httpGet"]!["path"]);
        Assert.Equal(ServiceDefaultsExtensions.LivenessPath, (string?)cloud["startupProbe"]!["httpGet"]!["path"]);
        foreach (string probe in (string[])["livenessProbe", "readinessProbe", "startupProbe"])
        {
            Assert.Equal("http", (string?)cloud[probe]!["httpGet"]!["port"]);
        }
    }

    [Fact]
    public void CloudEndpoints_ChartSetsTheNamedEndpointsOfAppsettings()
    {
        // The chart overrides Kestrel:Endpoints:Rest and :Grpc; both names must be the service's own, or the chart
        // would add endpoints beside the loopback ones instead of replacing them.
        IReadOnlyDictionary<string, string?> appsettings = ServiceConfiguration.Cloud.AppSettings;
        Assert.Equal("Http1", appsettings["Kestrel:Endpoints:Rest:Protocols"]);
        Assert.Equal("Http2", appsettings["Kestrel:Endpoints:Grpc:Protocols"]);
        Dictionary<string, string?> settings = run.Rendered("default").Settings(
            Manifests.Container(run.Rendered("default").Workload("cloud")!, "cloud"), out _);
        string[] endpoints = [.. settings.Keys.Where(k => k.StartsWith("Kestrel__Endpoints__", StringComparison.Ordinal))
            .Select(k => k.Split("__")[2]).Distinct()];
        Assert.Equal(["Grpc", "Rest"], endpoints.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void Services_TargetNamedContainerPorts(string combination)
    {
        Manifests m = run.Rendered(combination);
        foreach (JsonObject service in m.OfKind("Service"))
        {
            JsonObject deployment = m.Workload("cloud")!;
            JsonObject cloud = Manifests.Container(deployment, "cloud");
            foreach (JsonObject port in service["spec"]!["ports"]!.AsArray().OfType<JsonObject>())
            {
                string target = (string)port["targetPort"]!;
                Assert.Equal((int)port["port"]!, NamedPort(cloud, target));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void ConfigurationKeys_EveryServiceContainer_AreBoundByOptionsClasses(string combination)
    {
        Manifests m = run.Rendered(combination);
        var problems = new List<string>();
        foreach (JsonObject workload in m.Workloads)
        {
            string component = Manifests.Component(workload)!;
            JsonObject container = Manifests.Container(workload, component);
            problems.AddRange(ServiceConfiguration.For(component).Check(m.Settings(container, out _))
                .Select(p => $"{Manifests.Name(workload)}: {p}"));
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public async Task ConfigurationKeys_MisspelledKeyInCloudConfig_IsReported()
    {
        ProcessResult render = await run.TemplateAsync("--set", "cloud.config.Engine.KvCacheMemoryMB=1024",
            "--set", "cloud.config.Limits.MaxOutputTokens=many", "--set", "cloud.config.Engine.MaxQueuedRequests=0");
        Assert.True(render.Succeeded, render.Output);
        Dictionary<string, string?> data = ConfigMapData(render.Output);

        List<string> problems = ServiceConfiguration.Cloud.Check(data);

        Assert.Contains(problems, p => p.StartsWith("Engine__KvCacheMemoryMB:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Limits__MaxOutputTokens:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Engine__MaxQueuedRequests:", StringComparison.Ordinal));
        Assert.Equal(3, problems.Count);
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void Secrets_NeverLandInConfigMaps(string combination)
    {
        Manifests m = run.Rendered(combination);
        JsonNode values = combination == "default" ? run.Json("values") : run.Json($"{combination}-values");
        List<string> secrets = [.. SecretValues(values)];
        string[] secretData = [.. m.OfKind("Secret").SelectMany(Manifests.SecretData).Select(p => p.Value)];

        foreach (JsonObject configMap in m.OfKind("ConfigMap"))
        {
            foreach ((string key, JsonNode? value) in configMap["data"]?.AsObject() ?? [])
            {
                Assert.False(SecretKeyName().IsMatch(key), $"{Manifests.Name(configMap)} holds {key}, which belongs in a Secret");
                foreach (string secret in secrets)
                {
                    Assert.DoesNotContain(secret, (string?)value ?? "", StringComparison.OrdinalIgnoreCase);
                }
            }
        }

        // ... and each one reached a Secret.
        foreach (string secret in secrets)
        {
            Assert.Contains(secretData, d => d.Equals(secret, StringComparison.OrdinalIgnoreCase));
        }
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void Resources_EveryContainer_HasCpuAndMemoryRequestsAndLimits(string combination)
    {
        foreach (JsonObject workload in run.Rendered(combination).Workloads)
        {
            foreach (JsonObject container in Manifests.Containers(workload))
            {
                string where = $"{Manifests.Name(workload)}/{container["name"]}";
                foreach (string bound in (string[])["requests", "limits"])
                {
                    JsonNode? resources = container["resources"]?[bound];
                    Assert.True(resources?["cpu"] is not null, $"{where}: no cpu {bound}");
                    Assert.True(resources?["memory"] is not null, $"{where}: no memory {bound}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void SecurityContext_ServiceContainers_RunAsNonRootOnAReadOnlyRoot(string combination)
    {
        foreach (JsonObject workload in run.Rendered(combination).Workloads)
        {
            JsonObject pod = Manifests.PodSpec(workload);
            Assert.True((bool?)pod["securityContext"]?["runAsNonRoot"] == true, $"{Manifests.Name(workload)}: pod may run as root");
            Assert.Equal(1654, (int?)pod["securityContext"]?["runAsUser"]);
            Assert.False((bool?)pod["automountServiceAccountToken"] ?? true, "the services use no Kubernetes API");
            foreach (JsonObject container in Manifests.Containers(workload))
            {
                string where = $"{Manifests.Name(workload)}/{container["name"]}";
                JsonNode? security = container["securityContext"];
                Assert.True((bool?)security?["readOnlyRootFilesystem"] == true, $"{where}: writable root file system");
                Assert.True((bool?)security?["allowPrivilegeEscalation"] == false, $"{where}: privilege escalation allowed");
                Assert.Contains("ALL", security?["capabilities"]?["drop"]?.AsArray().Select(c => (string?)c) ?? []);
                if ((int?)security?["runAsUser"] == 0)
                {
                    // Only the edge's ownership fix runs as root, and it can do nothing but chown.
                    Assert.Equal("own-host-paths", (string?)container["name"]);
                    Assert.Equal(["CHOWN"], security!["capabilities"]!["add"]!.AsArray().Select(c => (string)c!));
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void WritablePaths_AreVolumes(string combination)
    {
        Manifests m = run.Rendered(combination);
        foreach (JsonObject workload in m.Workloads)
        {
            string component = Manifests.Component(workload)!;
            JsonObject container = Manifests.Container(workload, component);
            string[] mounts = [.. container["volumeMounts"]!.AsArray().Select(v => (string)v!["mountPath"]!)];
            Assert.Contains("/tmp", mounts);
            Dictionary<string, string?> settings = m.Settings(container, out _);
            if (component == "edge")
            {
                Assert.Contains(settings["Edge__DataDirectory"], mounts);
                if (!string.IsNullOrEmpty(settings["Edge__Watch__Folder"]))
                {
                    Assert.Contains(settings["Edge__Watch__Folder"], mounts);
                }

                Assert.Contains(mounts, p => settings["Edge__ModelFolder"]!.StartsWith(p + "/", StringComparison.Ordinal));
            }
            else
            {
                foreach (string folder in settings.Where(s => s.Key.StartsWith("Models__Folders__", StringComparison.Ordinal)).Select(s => s.Value!))
                {
                    Assert.Contains(mounts, p => folder.StartsWith(p + "/", StringComparison.Ordinal));
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void Shutdown_GracePeriod_ExceedsDrainSeconds(string combination)
    {
        Manifests m = run.Rendered(combination);
        if (m.Workload("cloud") is not { } deployment)
        {
            return;
        }

        Dictionary<string, string?> settings = m.Settings(Manifests.Container(deployment, "cloud"), out _);
        int drain = int.Parse(settings["Shutdown__DrainSeconds"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True((int)Manifests.PodSpec(deployment)["terminationGracePeriodSeconds"]! > drain);
    }

    [Fact]
    public void Gpu_Combination_RequestsAGpuAndRunsTheGpuImageWithCuda()
    {
        Manifests m = run.Rendered("gpu");
        JsonObject deployment = m.Workload("cloud")!;
        JsonObject cloud = Manifests.Container(deployment, "cloud");

        Assert.EndsWith("-gpu", (string)cloud["image"]!, StringComparison.Ordinal);
        Assert.Equal(1, (int)cloud["resources"]!["limits"]!["nvidia.com/gpu"]!);
        Assert.Equal("Cuda", m.Settings(cloud, out _)["Models__ExecutionProvider"]);
        Assert.Contains(Manifests.PodSpec(deployment)["tolerations"]!.AsArray(), t => (string?)t!["key"] == "nvidia.com/gpu");
        Assert.Null(deployment["spec"]!["replicas"]);

        JsonObject defaults = Manifests.Container(run.Rendered("default").Workload("cloud")!, "cloud");
        Assert.Null(defaults["resources"]!["limits"]!["nvidia.com/gpu"]);
        Assert.Equal("Cpu", run.Rendered("default").Settings(defaults, out _)["Models__ExecutionProvider"]);
    }

    [Fact]
    public void Edge_Combination_RunsOnEdgeNodesWithHostSpoolAndJetsonGpu()
    {
        Manifests m = run.Rendered("edge");
        JsonObject daemonSet = m.Workload("edge")!;
        JsonObject pod = Manifests.PodSpec(daemonSet);
        JsonObject edge = Manifests.Container(daemonSet, "edge");
        Dictionary<string, string?> settings = m.Settings(edge, out _);

        Assert.Equal("true", (string?)pod["nodeSelector"]!["node-role.kubernetes.io/edge"]);
        Assert.Contains(pod["volumes"]!.AsArray(), v => (string?)v!["hostPath"]?["path"] == "/var/lib/ecv-edge");
        Assert.EndsWith("-jetson", (string)edge["image"]!, StringComparison.Ordinal);
        Assert.Equal(1, (int)edge["resources"]!["limits"]!["nvidia.com/gpu"]!);
        Assert.Equal("Cuda", settings["Edge__ExecutionProvider"]);
        Assert.Equal("http://ecv-edgecloudvlm-cloud.edgecloudvlm.svc.cluster.local:5081", settings["Edge__Uplink__Address"]);
        JsonObject cloud = Manifests.Container(m.Workload("cloud")!, "cloud");
        Assert.Equal(UrlPort(settings["Edge__Uplink__Address"]), NamedPort(cloud, "grpc"));

        // The endpoint is loopback-only: the probe runs inside the container, on the port the agent listens on.
        string[] probe = [.. edge["livenessProbe"]!["exec"]!["command"]!.AsArray().Select(c => (string)c!)];
        Assert.Equal(["ecv-healthcheck", settings["Edge__Http__Port"]!, "/health/live"], probe);
    }

    [Fact]
    public void Ingress_Combination_RoutesGrpcWithGrpcBackendProtocol()
    {
        Manifests m = run.Rendered("ingress");
        JsonObject grpc = m.OfKind("Ingress").Single(i => Manifests.Name(i).EndsWith("-grpc", StringComparison.Ordinal));
        JsonObject rest = m.OfKind("Ingress").Single(i => !Manifests.Name(i).EndsWith("-grpc", StringComparison.Ordinal));

        Assert.Equal("GRPC", (string?)grpc["metadata"]!["annotations"]!["nginx.ingress.kubernetes.io/backend-protocol"]);
        Assert.Null(rest["metadata"]!["annotations"]!["nginx.ingress.kubernetes.io/backend-protocol"]);
        Assert.Equal("grpc", (string?)grpc["spec"]!["rules"]![0]!["http"]!["paths"]![0]!["backend"]!["service"]!["port"]!["name"]);
        Assert.Equal("http", (string?)rest["spec"]!["rules"]![0]!["http"]!["paths"]![0]!["backend"]!["service"]!["port"]!["name"]);
        Assert.NotNull(grpc["spec"]!["tls"]);

        JsonObject headless = m.OfKind("Service").Single(s => Manifests.Name(s).EndsWith("-headless", StringComparison.Ordinal));
        Assert.Equal("None", (string?)headless["spec"]!["clusterIP"]);
    }

    [Fact]
    public void ServiceMonitor_ScrapesTheMetricsPageOfTheMainServiceOnly()
    {
        Manifests m = run.Rendered("ingress");
        JsonObject monitor = m.OfKind("ServiceMonitor").Single();
        JsonObject endpoint = monitor["spec"]!["endpoints"]![0]!.AsObject();

        Assert.Equal(new MetricsPageOptions().Path, (string?)endpoint["path"]);
        Assert.Equal("http", (string?)endpoint["port"]);
        Assert.NotNull(endpoint["authorization"]?["credentials"]);
        JsonObject selector = monitor["spec"]!["selector"]!.AsObject();
        JsonObject[] selected = [.. m.OfKind("Service").Where(s => Selects(selector, s["metadata"]!["labels"]!.AsObject()))];
        JsonObject only = Assert.Single(selected);
        Assert.Null(only["spec"]!["clusterIP"]);
        Assert.Equal(2, m.OfKind("Service").Count());
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void PodTemplates_CarryChecksumsOfTheirSettings(string combination)
    {
        foreach (JsonObject workload in run.Rendered(combination).Workloads)
        {
            JsonNode annotations = workload["spec"]!["template"]!["metadata"]!["annotations"]!;
            Assert.Matches("^[0-9a-f]{64}$", (string?)annotations["checksum/config"]);
            Assert.Matches("^[0-9a-f]{64}$", (string?)annotations["checksum/secret"]);
        }
    }

    /// <summary>Kubernetes label-selector semantics: every matchLabels entry and every matchExpressions term.</summary>
    private static bool Selects(JsonObject selector, JsonObject labels)
    {
        foreach ((string key, JsonNode? value) in selector["matchLabels"]?.AsObject() ?? [])
        {
            if ((string?)labels[key] != (string?)value)
            {
                return false;
            }
        }

        foreach (JsonNode? term in selector["matchExpressions"]?.AsArray() ?? [])
        {
            string key = (string)term!["key"]!;
            string[] values = [.. term["values"]?.AsArray().Select(v => (string)v!) ?? []];
            bool has = labels.ContainsKey(key);
            bool ok = (string?)term["operator"] switch
            {
                "Exists" => has,
                "DoesNotExist" => !has,
                "In" => has && values.Contains((string?)labels[key]),
                "NotIn" => !has || !values.Contains((string?)labels[key]),
                _ => throw new InvalidOperationException($"unknown selector operator {term["operator"]}"),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static int NamedPort(JsonObject container, string name) =>
        (int)container["ports"]!.AsArray().Single(p => (string?)p!["name"] == name)!["containerPort"]!;

    private static int UrlPort(string? url) =>
        new Uri(url!.Replace("://+:", "://localhost:", StringComparison.Ordinal)).Port;

    /// <summary>The secrets a values file gives: API-key hashes and device keys.</summary>
    private static IEnumerable<string> SecretValues(JsonNode values)
    {
        foreach (JsonNode? key in values["auth"]?["apiKeys"]?.AsArray() ?? [])
        {
            yield return (string)key!["sha256"]!;
        }

        if ((string?)values["edge"]?["uplink"]?["apiKey"] is { Length: > 0 } device)
        {
            yield return device;
        }
    }

    /// <summary>The data of the cloud ConfigMap in a rendered stream (for renders with extra arguments).</summary>
    private static Dictionary<string, string?> ConfigMapData(string rendered)
    {
        var data = new Dictionary<string, string?>(StringComparer.Ordinal);
        string document = rendered.Split("\n---").Single(d => d.Contains("kind: ConfigMap", StringComparison.Ordinal)
            && d.Contains("-cloud\n", StringComparison.Ordinal));
        bool inData = false;
        foreach (string line in document.Split('\n'))
        {
            if (line == "data:")
            {
                inData = true;
                continue;
            }

            if (inData && line.StartsWith("  ", StringComparison.Ordinal))
            {
                int colon = line.IndexOf(": ", StringComparison.Ordinal);
                data[line[2..colon]] = line[(colon + 2)..].Trim('"');
            }
            else if (inData)
            {
                break;
            }
        }

        return data;
    }

    /// <summary>Setting names that hold credentials (the last segment of the key).</summary>
    [GeneratedRegex(@"(^|__)(ApiKey|Sha256|\w*Password|\w*Secret|\w*Token|PrivateKey)$", RegexOptions.IgnoreCase)]
    private static partial Regex SecretKeyName();
}
