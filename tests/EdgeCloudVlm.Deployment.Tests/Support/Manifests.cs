using System.Text;
using System.Text.Json.Nodes;

namespace EdgeCloudVlm.Deployment.Tests.Support;

/// <summary>The documents <c>helm template</c> rendered for one value combination, with the queries the tests need.</summary>
internal sealed class Manifests(JsonArray documents)
{
    /// <summary>Value given to settings that come from the downward API or a Secret's key at run time.</summary>
    public const string RuntimeValue = "(runtime)";

    public IEnumerable<JsonObject> All => documents.OfType<JsonObject>();

    public IEnumerable<JsonObject> OfKind(string kind) => All.Where(d => (string?)d["kind"] == kind);

    public IReadOnlyDictionary<string, int> Kinds =>
        All.GroupBy(d => (string)d["kind"]!).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    /// <summary>Deployments and DaemonSets.</summary>
    public IEnumerable<JsonObject> Workloads => OfKind("Deployment").Concat(OfKind("DaemonSet"));

    /// <summary>The workload of a component ("cloud" or "edge"), or null when this combination has none.</summary>
    public JsonObject? Workload(string component) => Workloads.SingleOrDefault(w => Component(w) == component);

    public static string? Component(JsonObject document) =>
        (string?)document["metadata"]?["labels"]?["app.kubernetes.io/component"];

    public static string Name(JsonObject document) => (string)document["metadata"]!["name"]!;

    public static JsonObject PodSpec(JsonObject workload) => workload["spec"]!["template"]!["spec"]!.AsObject();

    public static IEnumerable<JsonObject> Containers(JsonObject workload, bool includeInit = true)
    {
        JsonObject pod = PodSpec(workload);
        IEnumerable<JsonNode?> all = pod["containers"]!.AsArray();
        if (includeInit && pod["initContainers"] is JsonArray init)
        {
            all = init.Concat(all);
        }

        return all.OfType<JsonObject>();
    }

    public static JsonObject Container(JsonObject workload, string name) =>
        Containers(workload).Single(c => (string?)c["name"] == name);

    /// <summary>
    /// The settings a container receives: its ConfigMap and Secret (envFrom, resolved from the same render; a Secret
    /// not rendered by the chart is listed in <paramref name="external"/>), then its env entries (valueFrom entries get
    /// <see cref="RuntimeValue"/>). Later sources win, as in Kubernetes.
    /// </summary>
    public Dictionary<string, string?> Settings(JsonObject container, out List<string> external)
    {
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal);
        external = [];
        foreach (JsonObject source in (container["envFrom"]?.AsArray() ?? []).OfType<JsonObject>())
        {
            if (source["configMapRef"] is JsonObject map)
            {
                JsonObject configMap = Single("ConfigMap", (string)map["name"]!);
                foreach ((string key, JsonNode? value) in configMap["data"]?.AsObject() ?? [])
                {
                    settings[key] = (string?)value;
                }
            }
            else if (source["secretRef"] is JsonObject secretRef)
            {
                string name = (string)secretRef["name"]!;
                JsonObject? secret = OfKind("Secret").SingleOrDefault(s => Name(s) == name);
                if (secret is null)
                {
                    external.Add(name);
                    continue;
                }

                foreach ((string key, string value) in SecretData(secret))
                {
                    settings[key] = value;
                }
            }
        }

        foreach (JsonObject env in (container["env"]?.AsArray() ?? []).OfType<JsonObject>())
        {
            settings[(string)env["name"]!] = env["valueFrom"] is null ? (string?)env["value"] ?? "" : RuntimeValue;
        }

        return settings;
    }

    /// <summary>A Secret's entries, base64-decoded (data) or as written (stringData).</summary>
    public static IEnumerable<(string Key, string Value)> SecretData(JsonObject secret)
    {
        foreach ((string key, JsonNode? value) in secret["data"]?.AsObject() ?? [])
        {
            yield return (key, Encoding.UTF8.GetString(Convert.FromBase64String((string)value!)));
        }

        foreach ((string key, JsonNode? value) in secret["stringData"]?.AsObject() ?? [])
        {
            yield return (key, (string)value!);
        }
    }

    public JsonObject Single(string kind, string name) =>
        OfKind(kind).SingleOrDefault(d => Name(d) == name)
        ?? throw new Xunit.Sdk.XunitException($"the render has no {kind} named {name}");
}
