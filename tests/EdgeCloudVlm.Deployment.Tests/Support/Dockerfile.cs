using System.Text.Json;
using System.Text.RegularExpressions;

namespace EdgeCloudVlm.Deployment.Tests.Support;

/// <summary>One instruction of a Dockerfile, continuation lines joined.</summary>
internal sealed record DockerInstruction(string Keyword, string Arguments, string Stage);

/// <summary>A Dockerfile read the way the tests need it: instructions per stage, ENV settings, COPY sources, the
/// health check, entry point and user of each stage.</summary>
internal sealed partial class Dockerfile
{
    private Dockerfile(string path, List<DockerInstruction> instructions)
    {
        Path = path;
        Instructions = instructions;
    }

    public string Path { get; }

    public string FileName => System.IO.Path.GetFileName(Path);

    public IReadOnlyList<DockerInstruction> Instructions { get; }

    public static IEnumerable<Dockerfile> All =>
        Directory.GetFiles(RepositoryPaths.Docker, "*.Dockerfile").Order(StringComparer.Ordinal).Select(Load);

    public static Dockerfile Load(string path)
    {
        var instructions = new List<DockerInstruction>();
        string stage = "";
        string? pending = null;
        foreach (string raw in File.ReadAllLines(path))
        {
            string line = raw.Trim();
            if (pending is null && (line.Length == 0 || line.StartsWith('#')))
            {
                continue;
            }

            if (pending is not null && line.StartsWith('#'))
            {
                continue;
            }

            pending = pending is null ? line : $"{pending} {line}";
            if (pending.EndsWith('\\'))
            {
                pending = pending[..^1].TrimEnd();
                continue;
            }

            int space = pending.IndexOf(' ', StringComparison.Ordinal);
            string keyword = (space < 0 ? pending : pending[..space]).ToUpperInvariant();
            string arguments = space < 0 ? "" : pending[(space + 1)..].Trim();
            if (keyword == "FROM")
            {
                Match alias = Regex.Match(arguments, @"\s+AS\s+(\S+)$", RegexOptions.IgnoreCase);
                stage = alias.Success ? alias.Groups[1].Value : $"stage{instructions.Count(i => i.Keyword == "FROM")}";
            }

            instructions.Add(new DockerInstruction(keyword, arguments, stage));
            pending = null;
        }

        return new Dockerfile(path, instructions);
    }

    /// <summary>Stages that end up as images: those named like <c>cloud-cpu</c>, <c>edge</c>, <c>edge-jetson</c>, or
    /// the last stage.</summary>
    public IEnumerable<string> ImageStages =>
        Instructions.Where(i => i.Keyword is "ENTRYPOINT" or "CMD").Select(i => i.Stage).Distinct();

    public IEnumerable<DockerInstruction> In(string stage, string keyword) =>
        Instructions.Where(i => i.Stage == stage && i.Keyword == keyword);

    /// <summary>Default values of the ARGs declared before the first FROM.</summary>
    public IReadOnlyDictionary<string, string> GlobalArgs
    {
        get
        {
            var args = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (DockerInstruction arg in Instructions.TakeWhile(i => i.Keyword != "FROM").Where(i => i.Keyword == "ARG"))
            {
                string[] pair = arg.Arguments.Split('=', 2);
                args[pair[0]] = pair.Length > 1 ? pair[1] : "";
            }

            return args;
        }
    }

    /// <summary>ENV settings of a stage (KEY=VALUE pairs, quotes removed; an empty value stays empty).</summary>
    public Dictionary<string, string?> Env(string stage)
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DockerInstruction instruction in In(stage, "ENV"))
        {
            foreach (Match m in EnvPair().Matches(instruction.Arguments))
            {
                env[m.Groups["key"].Value] = m.Groups["value"].Value.Trim('"');
            }
        }

        return env;
    }

    /// <summary>Source paths of the COPY instructions that read the build context (not <c>--from</c>).</summary>
    public IEnumerable<string> ContextCopySources =>
        Instructions.Where(i => i.Keyword is "COPY" or "ADD" && !i.Arguments.Contains("--from=", StringComparison.Ordinal))
            .SelectMany(i =>
            {
                string[] parts = [.. i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(p => !p.StartsWith("--", StringComparison.Ordinal))];
                return parts[..^1];
            });

    /// <summary>A JSON-array instruction (ENTRYPOINT, CMD) of a stage.</summary>
    public string[]? ExecForm(string stage, string keyword)
    {
        DockerInstruction? instruction = In(stage, keyword).LastOrDefault();
        return instruction is null ? null : JsonSerializer.Deserialize<string[]>(instruction.Arguments);
    }

    /// <summary>The exec-form command of a stage's HEALTHCHECK, options stripped.</summary>
    public string[]? HealthCheck(string stage)
    {
        DockerInstruction? instruction = In(stage, "HEALTHCHECK").LastOrDefault();
        if (instruction is null)
        {
            return null;
        }

        int cmd = instruction.Arguments.IndexOf("CMD ", StringComparison.Ordinal);
        return JsonSerializer.Deserialize<string[]>(instruction.Arguments[(cmd + 4)..]);
    }

    /// <summary>Files a stage's RUN instructions delete with <c>rm</c> (plain paths, no globs).</summary>
    public IEnumerable<string> RemovedFiles(string stage) =>
        In(stage, "RUN").SelectMany(r => Regex.Matches(r.Arguments, @"\brm\s+((?:/\S+\s*)+)").Select(m => m.Groups[1].Value))
            .SelectMany(paths => paths.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    [GeneratedRegex("(?<key>[A-Za-z_][A-Za-z0-9_]*)=(?<value>\"[^\"]*\"|\\S*)")]
    private static partial Regex EnvPair();
}
