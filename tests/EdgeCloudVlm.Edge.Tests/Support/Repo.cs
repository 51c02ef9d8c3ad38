using System.Text.Json;

namespace EdgeCloudVlm.Edge.Tests.Support;

/// <summary>What the edge tests read from the demo model: its codebooks and eval items, and the agent's build.</summary>
internal static class Repo
{
    public static string DemoCodebooks => Path.Combine(RepositoryLayout.DemoModel, "codebooks");

    /// <summary>The codebook the tests encode with: the first one model.json lists, else (while a retrained model
    /// waits for its codebook to be registered) the first file in the model's codebooks folder. The cloud hosts of the
    /// tests serve that folder too.</summary>
    public static (string Path, string Id) DemoCodebook => DemoCodebookValue.Value;

    private static readonly Lazy<(string, string)> DemoCodebookValue = new(() =>
    {
        using JsonDocument manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryLayout.DemoModel, "model.json")));
        if (manifest.RootElement.TryGetProperty("codebooks", out JsonElement list) && list.GetArrayLength() > 0)
        {
            JsonElement first = list[0];
            return (Path.GetFullPath(Path.Combine(RepositoryLayout.DemoModel, first.GetProperty("file").GetString()!)), first.GetProperty("id").GetString()!);
        }

        string file = Directory.GetFiles(DemoCodebooks, "*.avqcb").Order(StringComparer.Ordinal).First();
        return (file, EdgeCloudVlm.Codec.Codebooks.CodebookFile.Load(file).Id.ToString());
    });

    /// <summary>The agent's own build output (written by the test project's build).</summary>
    public static string EdgeAgentDll =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "edge-agent-path.txt")).Trim();

    /// <summary>Eval items (image path, question, expected answer) in file order.</summary>
    public static IReadOnlyList<EvalQuestion> EvalQuestions()
    {
        var items = new List<EvalQuestion>();
        foreach (string line in File.ReadLines(Path.Combine(RepositoryLayout.DemoModel, "eval", "eval.jsonl")))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            using JsonDocument doc = JsonDocument.Parse(line);
            JsonElement root = doc.RootElement;
            items.Add(new EvalQuestion(
                Path.Combine(RepositoryLayout.DemoModel, root.GetProperty("image").GetString()!),
                root.GetProperty("question").GetString()!,
                root.GetProperty("answer").GetString()!));
        }

        return items;
    }
}

internal sealed record EvalQuestion(string ImagePath, string Question, string Answer);
