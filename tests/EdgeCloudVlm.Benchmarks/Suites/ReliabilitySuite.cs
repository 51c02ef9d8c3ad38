using System.Text.Json.Nodes;
using EdgeCloudVlm.Benchmarks.Reliability;

namespace EdgeCloudVlm.Benchmarks.Suites;

/// <summary>
/// Suite <c>reliability</c> (issue 8): property-based fuzzing of the frame parser, codebook loader and image limit
/// checks; a corpus of malformed inputs against a cloud process; load on a cloud process; and faults with real
/// processes (cloud killed, link cut, agent killed, spool disk full). Goals: nothing lost or duplicated, every bad
/// input its specific error, no fuzz crash or hang, no unexpected error under load. <c>--quick</c> runs a smaller
/// version of each part (fewer cases and frames, a shorter load and outage, fewer kills). While working on one part,
/// <c>ECV_RELIABILITY_PARTS=fuzz,bad_inputs,load,faults</c> (any subset) runs only those; the others are reported as
/// skipped and the goals are not met.
/// </summary>
internal sealed class ReliabilitySuite : IBenchmarkSuite
{
    public async Task<JsonObject> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        BenchmarkLog log = context.Log;
        bool quick = context.Quick;
        ServicePaths paths = ServicePaths.Find();
        string work = Directory.CreateTempSubdirectory("ecv-reliability-").FullName;
        log.Info($"work folder {work}; cloud {paths.CloudDll}; edge {paths.EdgeDll ?? paths.EdgeProblem}");

        string[] parts = (Environment.GetEnvironmentVariable("ECV_RELIABILITY_PARTS") ?? "fuzz,bad_inputs,load,faults")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        JsonObject Skipped() => new() { ["skipped"] = "not in ECV_RELIABILITY_PARTS", ["cases"] = 0L, ["crashes"] = 0L, ["hangs"] = 0L,
            ["tried"] = 0, ["clear_error"] = -1, ["log_lines_with_keys"] = 0, ["errors_unexpected"] = 0, ["healthy_after"] = false };

        JsonObject fuzz = !parts.Contains("fuzz") ? Skipped()
            : quick ? FuzzRun.Run(30_000, 15_000, 3_000, log) : FuzzRun.Run(600_000, 300_000, 100_000, log);

        DemoFrames? demo = null;
        if (parts.Contains("bad_inputs") || parts.Contains("load"))
        {
            log.Info("encoding frames of evaluation images with the vision head and the model's codebook");
            demo = DemoFrames.Load(48);
        }

        JsonObject badInputs = !parts.Contains("bad_inputs") ? Skipped()
            : await new BadInputRun(paths, demo!, Path.Combine(work, "bad-inputs"), log).RunAsync(cancellationToken);

        JsonObject load = Skipped();
        if (parts.Contains("load"))
        {
            string loadFolder = Directory.CreateDirectory(Path.Combine(work, "load")).FullName;
            using var cloud = new CloudService(paths, loadFolder, new Dictionary<string, string> { ["Logging:LogLevel:Default"] = "Warning" });
            await cloud.StartAsync(TimeSpan.FromMinutes(3), cancellationToken);
            load = await new LoadTest(cloud, demo!, log).RunAsync(64, 16, TimeSpan.FromSeconds(quick ? 15 : 60), cancellationToken);
        }

        JsonArray faults;
        string? skipped = !parts.Contains("faults") ? "not in ECV_RELIABILITY_PARTS"
            : paths.EdgeProblem ?? (Environment.UserName == "root" ? null : "the fault scenarios need root (network namespace, tmpfs)");
        if (skipped is null)
        {
            faults = await new FaultScenarios(paths, Directory.CreateDirectory(Path.Combine(work, "faults")).FullName, quick ? FaultSizes.Quick : FaultSizes.Full, log)
                .RunAsync(cancellationToken);
        }
        else
        {
            log.Info($"faults skipped: {skipped}");
            faults = [new JsonObject { ["name"] = "all", ["skipped"] = skipped }];
        }

        bool faultsClean = faults.All(f => f!["skipped"] is null && f["error"] is null && (int)f["lost"]! == 0 && (int)f["duplicates"]! == 0);
        var goals = new JsonObject
        {
            ["zero_lost_zero_duplicates"] = faultsClean,
            ["every_bad_input_clear"] = badInputs["skipped"] is null && (int)badInputs["clear_error"]! == (int)badInputs["tried"]! && (int)badInputs["crashes"]! == 0
                && (int)badInputs["log_lines_with_keys"]! == 0,
            ["fuzz_clean"] = fuzz["skipped"] is null && (long)fuzz["crashes"]! == 0 && (long)fuzz["hangs"]! == 0,
            ["load_clean"] = load["skipped"] is null && (int)load["errors_unexpected"]! == 0 && (bool)load["healthy_after"]!,
        };
        bool met = goals.All(g => (bool)g.Value!);
        if (met)
        {
            TryDelete(work);
        }
        else
        {
            log.Info($"goals not met: the services' logs are kept in {work}");
        }

        return new JsonObject
        {
            ["faults"] = faults,
            ["load"] = load,
            ["bad_inputs"] = badInputs,
            ["fuzz"] = fuzz,
            ["goals_met"] = goals,
            ["all_goals_met"] = met,
        };
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // A tmpfs still busy or logs held open: leave the temporary folder.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
