using System.Text.Json.Nodes;
using EdgeCloudVlm.ServiceDefaults.Authentication;

namespace EdgeCloudVlm.Benchmarks.Reliability;

/// <summary>
/// Sends the corpus to a cloud process (Debug logging, every line captured), one input at a time; after each, the
/// process must still be running and ready. Then starts a second cloud over a codebook folder of bad files. Last, no
/// captured log line may contain any key used (right or wrong) or its hash.
/// </summary>
internal sealed class BadInputRun(ServicePaths paths, DemoFrames demo, string workFolder, BenchmarkLog log)
{
    private int _tried;
    private int _clear;
    private int _crashes;
    private int _serverFaults;
    private readonly JsonArray _failures = [];
    private readonly Dictionary<string, (int Tried, int Clear)> _areas = new(StringComparer.Ordinal);

    public async Task<JsonObject> RunAsync(CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        using (var cloud = new CloudService(paths, workFolder, BadInputCorpus.Settings))
        {
            await cloud.StartAsync(TimeSpan.FromMinutes(3), cancellationToken);
            using var clients = new BadInputClients(cloud);
            foreach (BadInput input in BadInputCorpus.Build(clients, demo))
            {
                Observed observed;
                try
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    timeout.CancelAfter(TimeSpan.FromSeconds(90));
                    observed = await input.Send(timeout.Token);
                }
                catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException or InvalidOperationException)
                {
                    observed = new Observed("exception", null, $"{ex.GetType().Name}: {ex.Message}");
                }

                bool alive = cloud.Process is { HasExited: false } && await cloud.IsReadyAsync(cancellationToken);
                Record(input.Area, input.Name, input.Expect, observed, crashed: !alive);
                if (!alive)
                {
                    cloud.Kill();
                    await cloud.StartAsync(TimeSpan.FromMinutes(3), cancellationToken);
                }
            }

            cloud.Dispose();
            lines.AddRange(cloud.AllLines);
        }

        lines.AddRange(await CodebookFilesAsync(cancellationToken));
        string[] secrets = [.. new[] { CloudService.ApplicationKey, CloudService.EdgeKey, BadInputCorpus.WrongKey }
            .SelectMany(k => new[] { k, ApiKeyHash.Compute(k) })];
        int leaks = lines.Count(line => secrets.Any(s => line.Contains(s, StringComparison.OrdinalIgnoreCase)));
        log.Info($"bad inputs: {_clear}/{_tried} refused with their specific error, {_crashes} crashes, {_serverFaults} answered as server faults (5xx, INTERNAL, UNKNOWN), {leaks} of {lines.Count} log lines hold a key");
        var areas = new JsonObject();
        foreach ((string area, (int tried, int clear)) in _areas)
        {
            areas[area] = new JsonObject { ["tried"] = tried, ["clear_error"] = clear };
        }

        return new JsonObject
        {
            ["tried"] = _tried,
            ["clear_error"] = _clear,
            ["crashes"] = _crashes,
            ["server_faults"] = _serverFaults,
            ["log_lines"] = lines.Count,
            ["log_lines_with_keys"] = leaks,
            ["by_area"] = areas,
            ["failures"] = _failures,
        };
    }

    private async Task<List<string>> CodebookFilesAsync(CancellationToken cancellationToken)
    {
        string folder = Path.Combine(workFolder, "bad-codebooks");
        Directory.CreateDirectory(folder);
        IReadOnlyList<(string File, byte[] Bytes, string Pattern)> files = BadInputCorpus.CodebookFiles(demo);
        foreach ((string file, byte[] bytes, _) in files)
        {
            await File.WriteAllBytesAsync(Path.Combine(folder, file), bytes, cancellationToken);
        }

        var settings = new Dictionary<string, string>(BadInputCorpus.Settings) { ["Codebooks:Folder"] = folder };
        using var cloud = new CloudService(paths, workFolder, settings);
        bool started;
        try
        {
            await cloud.StartAsync(TimeSpan.FromMinutes(3), cancellationToken);
            started = true;
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            log.Info($"the cloud did not start over a folder of bad codebook files: {ex.Message}");
            started = false;
        }

        string[] startup = [.. cloud.Process?.Lines ?? (IEnumerable<string>)[]];
        foreach ((string file, _, string pattern) in files)
        {
            string? line = startup.FirstOrDefault(l => l.Contains(file, StringComparison.Ordinal) && l.Contains("not loaded", StringComparison.Ordinal));
            Observed observed = started
                ? new Observed("log", null, line ?? "(no log line names the file)")
                : new Observed("startup failed", null, string.Join(" | ", startup.TakeLast(3)));
            Record("codebook_file", file, new Expected("log", null, $"not loaded.*({pattern})"), observed, crashed: false);
        }

        if (!started)
        {
            _crashes++;
        }

        cloud.Dispose();
        return cloud.AllLines;
    }

    /// <param name="crashed">The service died or stopped being ready after this input.</param>
    private void Record(string area, string name, Expected expected, Observed observed, bool crashed)
    {
        bool clear = !crashed && !observed.IsServerFault && expected.Matches(observed);
        _tried++;
        _clear += clear ? 1 : 0;
        _crashes += crashed ? 1 : 0;
        _serverFaults += observed.IsServerFault ? 1 : 0;
        (int tried, int count) = _areas.GetValueOrDefault(area);
        _areas[area] = (tried + 1, count + (clear ? 1 : 0));
        if (!clear)
        {
            log.Info($"  {area} / {name}: expected {expected}, got {observed}{(crashed ? " (crash)" : observed.IsServerFault ? " (server fault)" : "")}");
            _failures.Add(new JsonObject
            {
                ["area"] = area,
                ["name"] = name,
                ["expected"] = expected.ToString(),
                ["observed"] = observed.ToString().Length > 300 ? observed.ToString()[..300] : observed.ToString(),
                ["crash"] = crashed,
                ["server_fault"] = observed.IsServerFault,
            });
        }
    }
}
