using System.Diagnostics;
using System.Text.Json.Nodes;
using EdgeCloudVlm.Benchmarks.Networking;

namespace EdgeCloudVlm.Benchmarks.Reliability;

/// <summary>Sizes of the fault scenarios: the issue's in the full run, smaller in <c>--quick</c>.</summary>
internal sealed record FaultSizes(int CloudKillFrames, int LinkFrames, TimeSpan Outage, int EdgeKillFrames, int EdgeKills, int DiskFrames, int TmpfsKiB, TimeSpan Finish, TimeSpan Stall)
{
    public static FaultSizes Full { get; } = new(1000, 300, TimeSpan.FromSeconds(30), 300, 10, 1000, 256, TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(2));

    public static FaultSizes Quick { get; } = new(120, 60, TimeSpan.FromSeconds(10), 60, 3, 300, 96, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(1));
}

/// <summary>
/// The four fault scenarios with real processes: the cloud SIGKILLed and restarted mid-run, the link cut (namespace
/// loopback down), the agent SIGKILLed at random moments and restarted, and the spool's disk (a small tmpfs) filling
/// up. Each ends when every dropped frame has a result, or at its time limit, and reports its tally.
/// </summary>
internal sealed class FaultScenarios(ServicePaths paths, string root, FaultSizes sizes, BenchmarkLog log)
{
    private readonly Random _random = new();

    public async Task<JsonArray> RunAsync(CancellationToken cancellationToken)
    {
        var results = new JsonArray();
        foreach ((string name, Func<FaultWorkspace, CancellationToken, Task<JsonObject?>> scenario) in new (string, Func<FaultWorkspace, CancellationToken, Task<JsonObject?>>)[]
                 {
                     ("cloud_killed_and_restarted", CloudKilledAsync),
                     ("link_cut", LinkCutAsync),
                     ("edge_killed_repeatedly", EdgeKilledAsync),
                     ("spool_disk_full", DiskFullAsync),
                 })
        {
            var workspace = new FaultWorkspace(root, name);
            var clock = Stopwatch.StartNew();
            JsonObject entry;
            try
            {
                JsonObject? details = await scenario(workspace, cancellationToken);
                entry = workspace.Tally(name, clock.Elapsed.TotalSeconds);
                foreach ((string key, JsonNode? value) in details ?? [])
                {
                    entry[key] = value?.DeepClone();
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException or UnauthorizedAccessException)
            {
                entry = workspace.Tally(name, clock.Elapsed.TotalSeconds);
                entry["error"] = ex.Message;
            }

            log.Info($"fault {name}: {entry["submitted"]} submitted, {entry["answered"]} answered, {entry["lost"]} lost, {entry["duplicates"]} duplicates{(entry["error"] is { } e ? $" ({e})" : "")}");
            results.Add(entry);
        }

        return results;
    }

    private async Task<JsonObject?> CloudKilledAsync(FaultWorkspace w, CancellationToken cancellationToken)
    {
        using var cloud = new CloudService(paths, w.Folder);
        await cloud.StartAsync(TimeSpan.FromMinutes(3), cancellationToken);
        using var agent = new EdgeAgent(paths, w.Folder, EdgeAgent.Settings(w.Data, w.Watch, cloud.GrpcPort));
        agent.Start();
        w.Drop(sizes.CloudKillFrames);
        int killAt = sizes.CloudKillFrames / 4;
        await w.WaitAsync(() => w.Answered() >= killAt, sizes.Finish, cancellationToken);
        int before = w.Answered();
        cloud.Kill();
        await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
        await cloud.StartAsync(TimeSpan.FromMinutes(3), cancellationToken);
        await w.WaitAllAsync(sizes.Finish, sizes.Stall, cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        return new JsonObject { ["answered_before_kill"] = before };
    }

    private async Task<JsonObject?> LinkCutAsync(FaultWorkspace w, CancellationToken cancellationToken)
    {
        using NetworkNamespace ns = NetworkNamespace.Create($"ecv-reliability-{Environment.ProcessId}");
        using var cloud = new CloudService(paths, w.Folder, netns: ns.Name);
        await cloud.StartAsync(TimeSpan.FromMinutes(3), cancellationToken);
        using var agent = new EdgeAgent(paths, w.Folder, EdgeAgent.Settings(w.Data, w.Watch, cloud.GrpcPort), ns.Name);
        agent.Start();
        w.Drop(sizes.LinkFrames / 2);
        await w.WaitAsync(() => w.Answered() >= sizes.LinkFrames / 8, sizes.Finish, cancellationToken);
        ns.SetLink(up: false);
        var outage = Stopwatch.StartNew();
        int before = w.Answered();
        w.Drop(sizes.LinkFrames - (sizes.LinkFrames / 2));
        await Task.Delay(sizes.Outage, cancellationToken);
        int during = w.Answered() - before;
        ns.SetLink(up: true);
        double held = outage.Elapsed.TotalSeconds;
        await w.WaitAllAsync(sizes.Finish, sizes.Stall, cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        agent.Dispose();
        cloud.Dispose();
        return new JsonObject { ["outage_s"] = Math.Round(held, 1), ["answered_during_outage"] = during };
    }

    private async Task<JsonObject?> EdgeKilledAsync(FaultWorkspace w, CancellationToken cancellationToken)
    {
        using var cloud = new CloudService(paths, w.Folder);
        await cloud.StartAsync(TimeSpan.FromMinutes(3), cancellationToken);
        using var agent = new EdgeAgent(paths, w.Folder, EdgeAgent.Settings(w.Data, w.Watch, cloud.GrpcPort));
        w.Drop(sizes.EdgeKillFrames);
        var kills = new JsonArray();
        for (int i = 0; i < sizes.EdgeKills; i++)
        {
            agent.Start();

            // A random moment of the agent's life: starting, replaying its spool, encoding, sending, writing results.
            double after = 1.0 + (_random.NextDouble() * 7.0);
            await Task.Delay(TimeSpan.FromSeconds(after), cancellationToken);
            agent.Kill();
            kills.Add(new JsonObject { ["after_s"] = Math.Round(after, 2), ["results_so_far"] = w.Results().Count });
            if (w.Finished() >= w.Submitted)
            {
                w.Drop(Math.Max(10, sizes.EdgeKillFrames / 10));
            }
        }

        agent.Start();
        await w.WaitAllAsync(sizes.Finish, sizes.Stall, cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        return new JsonObject { ["kills"] = kills };
    }

    /// <summary>The agent's free-space reserve on the tiny spool disk (its default, 1 MiB, is larger than the disk).</summary>
    private const long DiskReserveBytes = 16 * 1024;

    private async Task<JsonObject?> DiskFullAsync(FaultWorkspace w, CancellationToken cancellationToken)
    {
        string spool = Path.Combine(w.Folder, "spool-tmpfs");
        using Tmpfs disk = await Tmpfs.MountAsync(spool, sizes.TmpfsKiB, cancellationToken);
        using var cloud = new CloudService(paths, w.Folder);
        Dictionary<string, string> settings = EdgeAgent.Settings(w.Data, w.Watch, cloud.GrpcPort);
        settings["Edge:Spool:Directory"] = spool;
        settings["Edge:Spool:SegmentBytes"] = "8192";
        settings["Edge:Spool:MaxBytes"] = (64L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Edge:Spool:MinFreeDiskBytes"] = DiskReserveBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var agent = new EdgeAgent(paths, w.Folder, settings);

        // The cloud is not there yet: frames pile up in the spool until its disk is full.
        agent.Start();
        w.Drop(sizes.DiskFrames);
        bool full = await w.WaitAsync(() => disk.FreeBytes() < DiskReserveBytes + 8192, TimeSpan.FromMinutes(3), cancellationToken);
        long free = disk.FreeBytes();
        int waiting = Directory.GetFiles(w.Watch, "cam-*.png").Length;
        log.Info($"  spool disk full: {full}, {free} bytes free, {waiting} frames still waiting in the watched folder");
        await cloud.StartAsync(TimeSpan.FromMinutes(3), cancellationToken);
        await w.WaitAllAsync(sizes.Finish, sizes.Stall, cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        bool alive = agent.Process is { HasExited: false };
        agent.Dispose();
        return new JsonObject
        {
            ["tmpfs_kib"] = sizes.TmpfsKiB,
            ["disk_full_reached"] = full,
            ["reserve_bytes"] = DiskReserveBytes,
            ["frames_waiting_when_full"] = waiting,
            ["agent_alive_at_end"] = alive,
        };
    }
}
