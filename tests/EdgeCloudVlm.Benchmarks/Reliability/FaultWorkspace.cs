using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeCloudVlm.Inference.Evaluation;

namespace EdgeCloudVlm.Benchmarks.Reliability;

/// <summary>
/// The folders of one fault scenario (watched folder, agent data) and its bookkeeping: frames are dropped into the
/// watched folder the way a camera pipeline does (written aside, then renamed in, with the question as a sidecar), and
/// counted against the agent's results file, where each file must appear exactly once.
/// </summary>
internal sealed class FaultWorkspace
{
    private readonly EvalSet _eval = EvalSet.Load(RepositoryLayout.DemoModel);
    private readonly List<string> _submitted = [];

    public FaultWorkspace(string root, string name)
    {
        Folder = Path.Combine(root, name);
        Watch = Path.Combine(Folder, "watch");
        Data = Path.Combine(Folder, "data");
        Directory.CreateDirectory(Watch);
        Directory.CreateDirectory(Data);
    }

    public string Folder { get; }

    public string Watch { get; }

    public string Data { get; }

    public string ResultsPath => Path.Combine(Data, "results.jsonl");

    public int Submitted => _submitted.Count;

    /// <summary>Drops <paramref name="count"/> evaluation images (cycling through the set) with their questions.</summary>
    public void Drop(int count)
    {
        for (int i = 0; i < count; i++)
        {
            int n = _submitted.Count;
            EvalItem item = _eval.Items[n % _eval.Items.Count];
            string name = $"cam-{n:D5}.png";
            File.WriteAllText(Path.Combine(Watch, name + ".question.txt"), item.Question);
            string staging = Path.Combine(Watch, $".{name}.tmp");
            File.Copy(_eval.ImagePath(item), staging, overwrite: true);
            File.Move(staging, Path.Combine(Watch, name));
            _submitted.Add(name);
        }
    }

    /// <summary>Result lines so far: (frame id, status, source file).</summary>
    public List<(string FrameId, string Status, string Source)> Results()
    {
        var list = new List<(string, string, string)>();
        if (!File.Exists(ResultsPath))
        {
            return list;
        }

        using var stream = new FileStream(ResultsPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                using JsonDocument doc = JsonDocument.Parse(line);
                JsonElement root = doc.RootElement;
                list.Add((root.GetProperty("frame_id").GetString() ?? "", root.GetProperty("status").GetString() ?? "",
                    root.TryGetProperty("source", out JsonElement source) ? source.GetString() ?? "" : ""));
            }
            catch (JsonException)
            {
                // The agent is writing this line (or was killed while writing it; it cuts such a tail on restart).
            }
        }

        return list;
    }

    public int Answered() => Results().Where(r => r.Status == "answered").Select(r => r.Source).Distinct(StringComparer.Ordinal).Count();

    /// <summary>Frames with any final result (answered, failed or dropped).</summary>
    public int Finished() => Results().Select(r => r.Source).Distinct(StringComparer.Ordinal).Count();

    public async Task<bool> WaitAsync(Func<bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }

            await Task.Delay(250, cancellationToken);
        }

        return true;
    }

    /// <summary>Waits until every dropped frame has a result; gives up after <paramref name="timeout"/>, or earlier
    /// when no further frame has had its result for <paramref name="stall"/> (the run is stuck, not slow).</summary>
    public async Task<bool> WaitAllAsync(TimeSpan timeout, TimeSpan stall, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var idle = Stopwatch.StartNew();
        int seen = -1;
        while (true)
        {
            List<(string FrameId, string Status, string Source)> results = Results();
            int finished = results.Select(r => r.Source).Distinct(StringComparer.Ordinal).Count();
            if (finished >= Submitted)
            {
                return true;
            }

            if (finished != seen)
            {
                seen = finished;
                idle.Restart();
            }

            if (clock.Elapsed > timeout || idle.Elapsed > stall)
            {
                return false;
            }

            await Task.Delay(500, cancellationToken);
        }
    }

    /// <summary>The scenario's line: submitted, answered, lost (no result at all) and duplicates (a file delivered
    /// more than once, under one frame id or several).</summary>
    public JsonObject Tally(string name, double seconds)
    {
        List<(string FrameId, string Status, string Source)> results = Results();
        var submitted = new HashSet<string>(_submitted, StringComparer.Ordinal);
        var delivered = results.Where(r => submitted.Contains(r.Source)).ToList();
        int distinctSources = delivered.Select(r => r.Source).Distinct(StringComparer.Ordinal).Count();
        int duplicates = delivered.Count - distinctSources;
        int duplicateIds = results.Count - results.Select(r => r.FrameId).Distinct(StringComparer.Ordinal).Count();
        return new JsonObject
        {
            ["name"] = name,
            ["submitted"] = submitted.Count,
            ["answered"] = delivered.Where(r => r.Status == "answered").Select(r => r.Source).Distinct(StringComparer.Ordinal).Count(),
            ["lost"] = submitted.Count - distinctSources,
            ["duplicates"] = Math.Max(duplicates, duplicateIds),
            ["not_answered"] = delivered.Where(r => r.Status != "answered").Select(r => $"{r.Source}: {r.Status}").Take(5).Aggregate(new JsonArray(), (a, s) => { a.Add(s); return a; }),
            ["seconds"] = Math.Round(seconds, 1),
        };
    }
}
