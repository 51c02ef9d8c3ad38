using System.Text.Json;

namespace EdgeCloudVlm.Edge.Inputs;

/// <summary>
/// The optional question file beside an image <c>cam1.jpg</c>: <c>cam1.jpg.question.txt</c> or
/// <c>cam1.question.txt</c> (the whole text), or <c>cam1.jpg.json</c> / <c>cam1.json</c> with
/// <c>{"question": "...", "callback_url": "..."}</c>. Writers should create it before the image.
/// </summary>
public sealed record Sidecar(string? Question, string? CallbackUrl, IReadOnlyList<string> Files)
{
    public static Sidecar Read(string imagePath)
    {
        ArgumentNullException.ThrowIfNull(imagePath);
        string folder = Path.GetDirectoryName(imagePath) ?? ".";
        string name = Path.GetFileName(imagePath);
        string stem = Path.GetFileNameWithoutExtension(imagePath);
        foreach (string candidate in new[] { name + ".question.txt", stem + ".question.txt" })
        {
            string path = Path.Combine(folder, candidate);
            if (File.Exists(path))
            {
                string text = File.ReadAllText(path).Trim();
                return new Sidecar(text.Length > 0 ? text : null, null, [path]);
            }
        }

        foreach (string candidate in new[] { name + ".json", stem + ".json" })
        {
            string path = Path.Combine(folder, candidate);
            if (File.Exists(path))
            {
                try
                {
                    using JsonDocument document = JsonDocument.Parse(File.ReadAllText(path));
                    JsonElement root = document.RootElement;
                    string? question = root.TryGetProperty("question", out JsonElement q) && q.ValueKind == JsonValueKind.String ? q.GetString() : null;
                    string? callback = root.TryGetProperty("callback_url", out JsonElement c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                    return new Sidecar(string.IsNullOrWhiteSpace(question) ? null : question.Trim(), callback, [path]);
                }
                catch (JsonException)
                {
                    return new Sidecar(null, null, [path]);
                }
            }
        }

        return new Sidecar(null, null, []);
    }
}
