using System.Diagnostics;
using System.Text.Json.Nodes;
using EdgeCloudVlm.Reliability.Tests.Support;
using Xunit.Abstractions;

namespace EdgeCloudVlm.Reliability.Tests.Suite;

/// <summary>
/// <c>./test.sh</c> runs the reliability suite in its quick form through this test: the benchmark program as its own
/// process (it starts cloud and agent processes, a network namespace and a tmpfs of its own), then the issue's goals
/// checked on the JSON it writes.
/// </summary>
public sealed class QuickSuiteTests(ITestOutputHelper output)
{
    private static readonly string[] FaultNames = ["cloud_killed_and_restarted", "link_cut", "edge_killed_repeatedly", "spool_disk_full"];

    [Fact]
    public async Task ReliabilitySuite_Quick_MeetsEveryGoal()
    {
        string json = Path.Combine(Directory.CreateTempSubdirectory("ecv-reliability-quick-").FullName, "reliability.json");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Repo.BenchmarksDll, "reliability", "--quick", "--out", json },
            WorkingDirectory = RepositoryLayout.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process suite = Process.Start(start)!;
        Task<string> stdout = suite.StandardOutput.ReadToEndAsync();
        Task<string> stderr = suite.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(20));
        try
        {
            await suite.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            suite.Kill(entireProcessTree: true);
            throw;
        }

        string log = await stderr + await stdout;
        output.WriteLine(log);
        Assert.True(suite.ExitCode == 0, $"the suite exited with {suite.ExitCode}");
        JsonNode result = JsonNode.Parse(await File.ReadAllTextAsync(json))!;
        output.WriteLine(result.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));

        // Every goal is checked, and every miss named, before the test fails: one run shows all that is wrong.
        var problems = new List<string>();
        JsonArray faults = result["faults"]!.AsArray();
        Assert.Equal(FaultNames, faults.Select(f => (string)f!["name"]!));
        foreach (JsonNode? f in faults)
        {
            if (f!["error"] is not null || (int)f["submitted"]! == 0 || (int)f["lost"]! != 0 || (int)f["duplicates"]! != 0)
            {
                problems.Add($"fault {f["name"]}: {f["submitted"]} submitted, {f["lost"]} lost, {f["duplicates"]} duplicates {f["error"]}");
            }
        }

        JsonNode load = result["load"]!;
        Assert.Equal(64, (int)load["streams"]!);
        Assert.True((long)load["requests"]! > 0);
        Assert.True((double)load["peak_rss_mb"]! > 0);
        if ((int)load["errors_unexpected"]! != 0 || !(bool)load["healthy_after"]!)
        {
            problems.Add($"load: {load["errors_unexpected"]} unexpected errors, healthy after: {load["healthy_after"]}, e.g. {load["unexpected_examples"]?.ToJsonString()}");
        }

        JsonNode bad = result["bad_inputs"]!;
        Assert.True((int)bad["tried"]! >= 60);
        if ((int)bad["crashes"]! != 0 || (int)bad["log_lines_with_keys"]! != 0)
        {
            problems.Add($"bad inputs: {bad["crashes"]} crashes, {bad["log_lines_with_keys"]} log lines with a key");
        }

        problems.AddRange(bad["failures"]!.AsArray().Select(f => $"bad input {f!["area"]} / {f["name"]}: expected {f["expected"]}, got {f["observed"]}"));

        JsonNode fuzz = result["fuzz"]!;
        Assert.True((long)fuzz["cases"]! >= 40_000);
        foreach ((string target, JsonNode? counts) in fuzz["targets"]!.AsObject())
        {
            if ((long)counts!["crashes"]! != 0 || (long)counts["hangs"]! != 0)
            {
                problems.Add($"fuzz {target}: {counts["crashes"]} crashes, {counts["hangs"]} hangs, first: {counts["findings"]![0]}");
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }
}
