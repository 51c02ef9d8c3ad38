using System.Text.Json.Nodes;
using EdgeCloudVlm.Deployment.Tests.Support;
using Xunit.Abstractions;

namespace EdgeCloudVlm.Deployment.Tests.Helm;

/// <summary>The offline checks of <c>helm/validate.sh</c>, one test each: Helm's own lint and rendering per value
/// combination, the Kubernetes schemas, yamllint and promtool.</summary>
[Collection(ValidationCollection.Name)]
public sealed class ChartValidationTests(ValidationRun run, ITestOutputHelper output)
{
    public static TheoryData<string> Combinations => ValidationRun.CombinationData;

    [Fact]
    public void ValidationScript_AllSteps_Pass()
    {
        foreach (ValidationStep step in run.Steps.Values)
        {
            output.WriteLine($"{step.Name,-28} {(step.Ok ? "ok" : "FAILED"),-7} {step.Seconds,7:F2} s");
        }

        Assert.True(run.Script.Succeeded, run.Script.Output);
        Assert.True(run.Step("tools").Ok, run.Step("tools").Log);
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void HelmLintStrict_Combination_Passes(string combination)
    {
        ValidationStep lint = run.Step($"lint:{combination}");
        Assert.True(lint.Ok, lint.Log);
        Assert.Contains("0 chart(s) failed", lint.Log, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void HelmTemplate_Combination_Renders(string combination)
    {
        ValidationStep template = run.Step($"template:{combination}");
        Assert.True(template.Ok, template.Log);
        Assert.NotEmpty(run.Rendered(combination).All);
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void KubernetesSchemas_EveryRenderedDocument_IsValidWithoutUnknownFields(string combination)
    {
        Assert.True(run.Schema.TryGetValue(combination, out SchemaReport? report), run.Step("kubernetes-schema").Log);
        output.WriteLine($"{combination}: {report.Documents} documents: {string.Join(", ", report.Kinds.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}"))}");
        Assert.Empty(report.Errors);
        Assert.Equal(run.Rendered(combination).All.Count(), report.Documents);
    }

    [Fact]
    public void KubernetesSchemas_Step_Passes() =>
        Assert.True(run.Step("kubernetes-schema").Ok, run.Step("kubernetes-schema").Log);

    [Fact]
    public void Yamllint_ChartComposeAndRenderedManifests_Pass() =>
        Assert.True(run.Step("yamllint").Ok, run.Step("yamllint").Log);

    [Fact]
    public void Promtool_ComposePrometheusConfig_IsValid()
    {
        ValidationStep promtool = run.Step("promtool");
        Assert.True(promtool.Ok, promtool.Log);
        Assert.Contains("SUCCESS", promtool.Log, StringComparison.Ordinal);
    }

    [Fact]
    public void Readme_ValuesTable_ListsEveryValue()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryPaths.Chart, "README.md"));
        var missing = new List<string>();
        Walk(run.Json("values"), "");
        Assert.True(missing.Count == 0, $"README.md's values table lacks: {string.Join(", ", missing)}");

        void Walk(JsonNode? node, string path)
        {
            // Maps of Kubernetes objects are documented as a whole.
            string[] whole = ["resources", "podSecurityContext", "securityContext", "annotations", "nodeSelector", "behavior",
                "livenessProbe", "readinessProbe", "startupProbe"];
            if (node is JsonObject map && map.Count > 0 && !whole.Any(w => path.EndsWith(w, StringComparison.Ordinal)))
            {
                foreach ((string key, JsonNode? child) in map)
                {
                    Walk(child, path.Length == 0 ? key : $"{path}.{key}");
                }
            }
            else if (!readme.Contains($"| `{path}` |", StringComparison.Ordinal))
            {
                missing.Add(path);
            }
        }
    }

    [Fact]
    public void RenderedKinds_PerCombination_FollowTheValues()
    {
        foreach (string combination in ValidationRun.Combinations)
        {
            output.WriteLine($"{combination}: {string.Join(", ", run.Rendered(combination).Kinds.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}"))}");
        }

        IReadOnlyDictionary<string, int> defaults = run.Rendered("default").Kinds;
        Assert.Equal(1, defaults["Deployment"]);
        Assert.Equal(1, defaults["Service"]);
        Assert.Equal(1, defaults["ConfigMap"]);
        Assert.Equal(1, defaults["PodDisruptionBudget"]);
        Assert.Equal(1, defaults["NetworkPolicy"]);
        Assert.False(defaults.ContainsKey("Secret"), "no keys configured by default, so no Secret");
        Assert.False(defaults.ContainsKey("DaemonSet"));
        Assert.False(defaults.ContainsKey("Ingress"));

        IReadOnlyDictionary<string, int> gpu = run.Rendered("gpu").Kinds;
        Assert.Equal(1, gpu["HorizontalPodAutoscaler"]);
        Assert.Equal(1, gpu["Secret"]);

        IReadOnlyDictionary<string, int> ingress = run.Rendered("ingress").Kinds;
        Assert.Equal(2, ingress["Ingress"]);
        Assert.Equal(2, ingress["Service"]);
        Assert.Equal(1, ingress["ServiceMonitor"]);

        IReadOnlyDictionary<string, int> edge = run.Rendered("edge").Kinds;
        Assert.Equal(1, edge["DaemonSet"]);
        Assert.Equal(1, edge["Deployment"]);
        Assert.Equal(2, edge["Secret"]);
        Assert.Equal(2, edge["ConfigMap"]);

        IReadOnlyDictionary<string, int> existing = run.Rendered("existing-secret").Kinds;
        Assert.False(existing.ContainsKey("Secret"), "existing secrets are referenced, not rendered");
        Assert.Equal(1, existing["PersistentVolumeClaim"]);

        IReadOnlyDictionary<string, int> edgeOnly = run.Rendered("edge-only").Kinds;
        Assert.Equal(1, edgeOnly["DaemonSet"]);
        Assert.False(edgeOnly.ContainsKey("Deployment"));
        Assert.False(edgeOnly.ContainsKey("Service"));
    }
}
