using System.Text.Json.Nodes;
using EdgeCloudVlm.Fuzz;
using EdgeCloudVlm.Fuzz.Inputs;
using EdgeCloudVlm.Fuzz.Targets;

namespace EdgeCloudVlm.Benchmarks.Reliability;

/// <summary>CsCheck campaigns over the three parsers that face untrusted bytes (tools/EdgeCloudVlm.Fuzz).</summary>
internal static class FuzzRun
{
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(5);

    public static JsonObject Run(long frameCases, long imageCases, long codebookCases, BenchmarkLog log)
    {
        FuzzSubjects subjects = FuzzSubjects.Load(RepositoryLayout.DemoModel);
        var inputs = new FuzzInputs(subjects);
        var reports = new List<FuzzReport>();
        foreach ((IFuzzTarget target, long cases) in new (IFuzzTarget, long)[]
                 { (new FrameTarget(subjects), frameCases), (new ImageTarget(subjects), imageCases), (new CodebookTarget(), codebookCases) })
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            FuzzReport report = FuzzCampaign.Run(target, inputs.For(target.Name), cases, threads: 1, HangLimit, seed: null);
            log.Info($"fuzz {target.Name}: {report.Cases} cases in {clock.Elapsed.TotalSeconds:F0} s, {report.Accepted} accepted, {report.Crashes} crashes, {report.Hangs} hangs, slowest {report.SlowestMilliseconds:F0} ms");
            foreach (string finding in report.Findings)
            {
                log.Info($"  {finding[..Math.Min(finding.Length, 300)]}");
            }

            reports.Add(report);
        }

        var targets = new JsonObject();
        foreach (FuzzReport report in reports)
        {
            targets[report.Target] = new JsonObject
            {
                ["cases"] = report.Cases,
                ["accepted"] = report.Accepted,
                ["rejected"] = report.Rejected,
                ["crashes"] = report.Crashes,
                ["hangs"] = report.Hangs,
                ["slowest_ms"] = Math.Round(report.SlowestMilliseconds, 1),
                ["findings"] = new JsonArray([.. report.Findings.Select(f => (JsonNode?)(f.Length > 400 ? f[..400] : f))]),
            };
        }

        return new JsonObject
        {
            ["cases"] = reports.Sum(r => r.Cases),
            ["crashes"] = reports.Sum(r => r.Crashes),
            ["hangs"] = reports.Sum(r => r.Hangs),
            ["hang_limit_s"] = HangLimit.TotalSeconds,
            ["targets"] = targets,
        };
    }
}
