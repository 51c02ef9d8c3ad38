using EdgeCloudVlm.Edge.Inputs;
using EdgeCloudVlm.Edge.Results;
using EdgeCloudVlm.Edge.Tests.Support;
using Xunit.Abstractions;

namespace EdgeCloudVlm.Edge.Tests.Integration;

/// <summary>The cloud goes away with frames queued and in flight, and comes back.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class OutageTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Run_CloudStoppedWith200FramesQueuedThenRestarted_AllAnsweredExactlyOnce()
    {
        await using CloudHost cloud = await CloudHost.StartAsync();
        string watch = _temp.Folder("watch");
        Dictionary<string, string?> settings = EdgeHost.Settings(_temp.Folder("data"), cloud.GrpcAddress);
        settings["Edge:Watch:Folder"] = watch;
        await using EdgeHost edge = await EdgeHost.StartAsync(settings);
        IReadOnlyList<EvalQuestion> eval = Repo.EvalQuestions();
        var expectedIds = new HashSet<string>(StringComparer.Ordinal);

        // A first batch while the cloud is up; stop it while frames are in flight.
        expectedIds.UnionWith(Drop(watch, eval, 0, 60));
        await Eventually.TrueAsync(() => edge.Results().Count >= 5, "the first answers");
        await cloud.StopAsync();
        int answeredBeforeOutage = edge.Results().Count;

        // The rest arrive during the outage.
        expectedIds.UnionWith(Drop(watch, eval, 60, 140));
        await Eventually.TrueAsync(() => Files.Count(Path.Combine(watch, "processed"), "*.png") == 200, "all 200 files spooled");
        int queued = edge.Spool.Depth;
        output.WriteLine($"answered before the outage: {answeredBeforeOutage}; queued in the spool during it: {queued}");
        Assert.Equal(200, queued + edge.Results().Count);
        Assert.True(queued >= 140);

        await cloud.StartAgainAsync();
        await Eventually.TrueAsync(() => edge.Results().Count >= 200, "all 200 answered", TimeSpan.FromMinutes(5));
        await Eventually.TrueAsync(() => edge.Spool.Depth == 0, "the spool drained");
        await Task.Delay(1000);

        IReadOnlyList<ResultRecord> results = edge.Results();
        Assert.Equal(200, results.Count);
        Assert.Equal(expectedIds.Order(), results.Select(r => r.FrameId).Order());
        Assert.All(results, r => Assert.Equal("answered", r.Status));
        Assert.All(results, r => Assert.False(string.IsNullOrEmpty(r.Answer)));
    }

    [Fact]
    public async Task Run_TornSpoolRecordLeftByACrash_SkippedAndTheRestDelivered()
    {
        await using CloudHost cloud = await CloudHost.StartAsync();
        string data = _temp.Folder("data");
        string watch = _temp.Folder("watch");
        Dictionary<string, string?> settings = EdgeHost.Settings(data, new Uri("http://127.0.0.1:1"));
        settings["Edge:Watch:Folder"] = watch;
        IReadOnlyList<EvalQuestion> eval = Repo.EvalQuestions();
        HashSet<string> ids;
        await using (EdgeHost offline = await EdgeHost.StartAsync(settings))
        {
            ids = [.. Drop(watch, eval, 0, 10)];
            await Eventually.TrueAsync(() => offline.Spool.Depth == 10, "10 frames spooled while offline");
        }

        // The last record of the segment is cut short, as a power loss during its write would leave it.
        string segment = Directory.GetFiles(Path.Combine(data, "spool"), "*.seg").Single();
        using (var stream = new FileStream(segment, FileMode.Open))
        {
            stream.SetLength(stream.Length - 40);
        }

        settings["Edge:Uplink:Address"] = cloud.GrpcAddress.ToString();
        await using EdgeHost online = await EdgeHost.StartAsync(settings);
        await Eventually.TrueAsync(() => online.Results().Count == 9 && online.Spool.Depth == 0, "the 9 intact frames answered");

        Assert.Equal(1, online.Spool.DamagedRecordsSkipped);
        Assert.Equal(9, online.Results().Select(r => r.FrameId).Distinct().Count());
        Assert.Subset(ids, online.Results().Select(r => r.FrameId).ToHashSet());
    }

    /// <summary>Drops eval images with their questions as sidecars; returns the frame ids the agent will give them.</summary>
    internal static IEnumerable<string> Drop(string watch, IReadOnlyList<EvalQuestion> eval, int from, int count)
    {
        var ids = new List<string>();
        for (int i = from; i < from + count; i++)
        {
            EvalQuestion item = eval[i % eval.Count];
            string name = $"cam-{i:D4}.png";
            string staging = Path.Combine(watch, "." + name + ".tmp");
            File.WriteAllText(Path.Combine(watch, name + ".question.txt"), item.Question);
            File.Copy(item.ImagePath, staging);
            File.SetLastWriteTimeUtc(staging, new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(i));
            var info = new FileInfo(staging);
            ids.Add(FolderWatcher.FrameIdFor("integration-device", name, info.Length, info.LastWriteTimeUtc));
            File.Move(staging, Path.Combine(watch, name));
        }

        return ids;
    }
}
