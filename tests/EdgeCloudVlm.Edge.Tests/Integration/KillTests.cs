using EdgeCloudVlm.Edge.Results;
using EdgeCloudVlm.Edge.Tests.Support;
using Xunit.Abstractions;

namespace EdgeCloudVlm.Edge.Tests.Integration;

/// <summary>The agent killed with SIGKILL mid-run, then started again: nothing lost, nothing answered twice.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class KillTests(CloudFixture fixture, ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Run_KilledTwiceMidRunAndRestarted_EveryFrameAnsweredExactlyOnce()
    {
        const int total = 120;
        string watch = _temp.Folder("watch");
        string data = _temp.Folder("data");
        string results = Path.Combine(data, "results.jsonl");
        Dictionary<string, string?> settings = EdgeHost.Settings(data, fixture.Cloud.GrpcAddress);
        settings["Edge:Watch:Folder"] = watch;
        settings["Logging:LogLevel:Default"] = "Information";
        HashSet<string> ids = [.. OutageTests.Drop(watch, Repo.EvalQuestions(), 0, total)];

        int generation = 0;
        foreach (int killAfter in new[] { 15, 60 })
        {
            using EdgeProcess agent = EdgeProcess.Start(settings, _temp.Path, ++generation);
            await Eventually.TrueAsync(() => EdgeHost.ReadResults(results).Count >= killAfter || agent.HasExited, $"{killAfter} answers", TimeSpan.FromMinutes(3));
            Assert.False(agent.HasExited, File.ReadAllText(agent.LogPath));
            agent.Kill();
            IReadOnlyList<ResultRecord> sofar = EdgeHost.ReadResults(results);
            output.WriteLine($"killed generation {generation} with {sofar.Count} results written");
            Assert.True(sofar.Count < total, "the kill came before the end");
        }

        using (EdgeProcess last = EdgeProcess.Start(settings, _temp.Path, ++generation))
        {
            await Eventually.TrueAsync(() => EdgeHost.ReadResults(results).Count >= total || last.HasExited, "every frame answered", TimeSpan.FromMinutes(5));
            Assert.False(last.HasExited, File.ReadAllText(last.LogPath));
            await Task.Delay(1500);
            (int code, string status, _) = await CliRunner.RunAsync(["status", "--json", .. CliRunner.Sets(settings)]);
            output.WriteLine(status);
            Assert.Equal(0, code);
            Assert.Contains("\"depth\":0", status, StringComparison.Ordinal);
        }

        IReadOnlyList<ResultRecord> all = EdgeHost.ReadResults(results);
        string[] duplicates = [.. all.GroupBy(r => r.FrameId).Where(g => g.Count() > 1).Select(g => g.Key)];
        Assert.Empty(duplicates);
        Assert.Equal(ids.Order(), all.Select(r => r.FrameId).Order());
        Assert.All(all, r => Assert.Equal("answered", r.Status));
        Assert.Equal(total, Directory.GetFiles(Path.Combine(watch, "processed"), "*.png").Length);
    }
}
