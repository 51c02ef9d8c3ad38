using System.Text.Json;

namespace EdgeCloudVlm.Inference.Evaluation;

/// <summary>The model's evaluation questions (<c>eval/eval.jsonl</c>) with the folder their image paths resolve against.</summary>
public sealed class EvalSet
{
    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private EvalSet(string root, IReadOnlyList<EvalItem> items)
    {
        Root = root;
        Items = items;
    }

    /// <summary>The model folder; <see cref="EvalItem.Image"/> paths are relative to it.</summary>
    public string Root { get; }

    /// <summary>The questions in file order.</summary>
    public IReadOnlyList<EvalItem> Items { get; }

    /// <summary>Reads <c>eval/eval.jsonl</c> under the model folder <paramref name="folder"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A line is not a valid record.</exception>
    public static EvalSet Load(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        string root = Path.GetFullPath(folder);
        string path = Path.Combine(root, "eval", "eval.jsonl");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"evaluation set {path} not found", path);
        }

        var items = new List<EvalItem>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            EvalItem? item;
            try
            {
                item = JsonSerializer.Deserialize<EvalItem>(line, JsonOptions);
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"{path} line {lineNumber} is not valid JSON: {ex.Message}", ex);
            }

            if (item is null || string.IsNullOrEmpty(item.Image) || string.IsNullOrEmpty(item.Question) || item.Answer is null)
            {
                throw new InvalidDataException($"{path} line {lineNumber} lacks image, question or answer");
            }

            items.Add(item);
        }

        return new EvalSet(root, items);
    }

    /// <summary>The first <paramref name="count"/> questions.</summary>
    public EvalSet Take(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return count >= Items.Count ? this : new EvalSet(Root, Items.Take(count).ToArray());
    }

    /// <summary>Greedy exact-match accuracy of <paramref name="model"/> on this set (see <see cref="EvalRunner"/>).</summary>
    public EvalReport Evaluate(VlmModel model, HiddenStateTransform? transform = null, CancellationToken cancellationToken = default) =>
        new EvalRunner(model).Run(this, transform, cancellationToken);

    /// <summary>Absolute path of an item's image.</summary>
    public string ImagePath(EvalItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return Path.GetFullPath(Path.Combine(Root, item.Image));
    }
}
