using System.Globalization;
using System.Text.Json.Nodes;

namespace EdgeCloudVlm.Deployment.Tests.Support;

/// <summary>One step of <c>helm/validate.sh</c>.</summary>
internal sealed record ValidationStep(string Name, bool Ok, double Seconds, string Log);

/// <summary>What the schema check reported for one rendered combination.</summary>
internal sealed record SchemaReport(int Documents, IReadOnlyDictionary<string, int> Kinds, IReadOnlyList<string> Errors);

/// <summary>
/// Runs <c>helm/validate.sh</c> once for all deployment tests (it installs Helm, the schema models, yamllint and
/// promtool on first use) and exposes what it produced: per-step outcomes and logs, the rendered manifests of every
/// value combination as JSON, and the chart's values files and the compose file as JSON.
/// </summary>
public sealed class ValidationRun : IAsyncLifetime
{
    private readonly string _output = Directory.CreateTempSubdirectory("ecv-deploy-validation-").FullName;
    private readonly Dictionary<string, ValidationStep> _steps = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SchemaReport> _schema = new(StringComparer.Ordinal);

    /// <summary>The script's exit code and console output.</summary>
    internal ProcessResult Script { get; private set; } = null!;

    internal IReadOnlyDictionary<string, ValidationStep> Steps => _steps;

    internal IReadOnlyDictionary<string, SchemaReport> Schema => _schema;

    /// <summary>Value combinations: "default" plus one per <c>helm/edgecloudvlm/ci/NAME-values.yaml</c>.</summary>
    public static IReadOnlyList<string> Combinations { get; } =
    [
        "default",
        .. Directory.GetFiles(Path.Combine(RepositoryPaths.Chart, "ci"), "*-values.yaml")
            .Select(f => Path.GetFileName(f)[..^"-values.yaml".Length])
            .Order(StringComparer.Ordinal),
    ];

    public static TheoryData<string> CombinationData => [.. Combinations];

    /// <summary>The Helm binary the script installed.</summary>
    internal string Helm { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Script = await ProcessRunner.RunAsync("bash", [Path.Combine(RepositoryLayout.Root, "helm", "validate.sh"), _output],
            TimeSpan.FromMinutes(10));
        string results = Path.Combine(_output, "results.tsv");
        if (File.Exists(results))
        {
            foreach (string line in File.ReadAllLines(results))
            {
                string[] f = line.Split('\t');
                string log = File.Exists(f[3]) ? File.ReadAllText(f[3]) : "";
                _steps[f[0]] = new ValidationStep(f[0], f[1] == "ok", double.Parse(f[2], CultureInfo.InvariantCulture), log);
            }
        }

        string tools = Path.Combine(_output, "tools.tsv");
        if (File.Exists(tools))
        {
            Helm = File.ReadAllLines(tools).Select(l => l.Split('\t')).Single(f => f[1] == "helm")[2];
        }

        string schema = Path.Combine(_output, "schema.jsonl");
        if (File.Exists(schema))
        {
            foreach (string line in File.ReadAllLines(schema).Where(l => l.StartsWith('{')))
            {
                JsonNode report = JsonNode.Parse(line)!;
                string name = Path.GetFileNameWithoutExtension((string)report["file"]!);
                _schema[name] = new SchemaReport(
                    (int)report["documents"]!,
                    report["kinds"]!.AsObject().ToDictionary(p => p.Key, p => (int)p.Value!),
                    [.. report["errors"]!.AsArray().Select(e => (string)e!)]);
            }
        }
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_output, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>A step's outcome, failing with the script's own output when the step never ran.</summary>
    internal ValidationStep Step(string name) =>
        _steps.TryGetValue(name, out ValidationStep? step)
            ? step
            : throw new Xunit.Sdk.XunitException($"validate.sh did not run step '{name}' (exit {Script.ExitCode}):\n{Script.Output}");

    /// <summary>The rendered documents of a combination.</summary>
    internal Manifests Rendered(string combination)
    {
        string file = Path.Combine(_output, "rendered", combination + ".json");
        Assert.True(File.Exists(file), $"no rendered manifests for '{combination}':\n{Script.Output}");
        return new Manifests(JsonNode.Parse(File.ReadAllText(file))!.AsArray());
    }

    /// <summary>A YAML file the script converted: values, NAME-values or docker-compose.</summary>
    internal JsonNode Json(string name)
    {
        string file = Path.Combine(_output, "json", name + ".json");
        Assert.True(File.Exists(file), $"no JSON for '{name}':\n{Script.Output}");
        return JsonNode.Parse(File.ReadAllText(file))!;
    }

    /// <summary>Renders the chart with extra arguments (for the negative cases), with the installed Helm.</summary>
    internal Task<ProcessResult> TemplateAsync(params string[] arguments)
    {
        Assert.False(string.IsNullOrEmpty(Helm), $"Helm was not installed:\n{Script.Output}");
        return ProcessRunner.RunAsync(Helm, ["template", "ecv", RepositoryPaths.Chart, "--namespace", "edgecloudvlm", .. arguments],
            TimeSpan.FromMinutes(1));
    }
}

[CollectionDefinition(Name)]
public sealed class ValidationCollection : ICollectionFixture<ValidationRun>
{
    public const string Name = "deployment validation";
}
