using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeCloudVlm.Benchmarks.EndToEnd;
using EdgeCloudVlm.Benchmarks.Photos;
using EdgeCloudVlm.Inference.Evaluation;
using EdgeCloudVlm.Benchmarks.Networking;

namespace EdgeCloudVlm.Benchmarks.Suites;

/// <summary>
/// Suite <c>e2e</c>: end-to-end latency of one question about one camera frame over a real rate-limited link, for the
/// split path (edge: decode, preprocess, vision head, AlignedVQ; the codec frame over the link; cloud: the rest) and the
/// cloud-only path (the JPEG of the photograph at its original resolution over the link as <c>Frame.fallback_jpeg</c>;
/// cloud: everything), both through <c>EdgeIngest.Stream</c> to the real cloud service on Kestrel.
/// </summary>
/// <remarks>
/// The link is a network namespace's loopback at MTU 1500, shaped by a token bucket (tc tbf) at each rate; cloud and
/// client both run inside it, in a second process of this benchmark started with <c>ip netns exec</c>, so all traffic
/// crosses the shaped loopback. The clock starts when the edge holds the encoded JPEG and stops at the Final.
/// Needs root (ip netns, tc).
/// </remarks>
internal sealed class EndToEndSuite : IBenchmarkSuite
{
    private const string NamespaceName = "ecv-e2e";
    private const int CloudPort = 5081; // inside the namespace: nothing else listens there
    private static readonly double[] Rates = [1, 8, 100];

    public async Task<JsonObject> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        if (Environment.GetEnvironmentVariable(EndToEndWorker.SpecVariable) is { Length: > 0 } specPath)
        {
            return await EndToEndWorker.RunAsync(specPath, context.Log, cancellationToken);
        }

        var log = context.Log;
        int framesPerPath = context.Quick ? 10 : 40;
        int warmup = context.Quick ? 2 : 4;
        IReadOnlyList<string> photos = PhotoCorpus.Load(log);
        var questions = EvalSet.Load(RepositoryLayout.DemoModel).Items.Select(item => item.Question).Distinct(StringComparer.Ordinal).ToArray();
        int count = Math.Min(photos.Count, framesPerPath + warmup);
        // Photographs spread evenly over the corpus; questions taken with a stride, because the evaluation file lists
        // them grouped by image and consecutive frames should get different templates.
        var spec = new EndToEndSpec(Rates, framesPerPath, warmup, RepositoryLayout.DemoModel, CloudPort,
            Enumerable.Range(0, count).Select(i => new EndToEndPhoto(photos[i * photos.Count / count], questions[i * 7 % questions.Length])).ToArray());
        log.Info($"{count} of {photos.Count} photographs, {framesPerPath} frames per path per rate after {warmup} warm-up, rates {string.Join(", ", Rates)} Mbit/s");

        string loadBefore = LoadAverage();
        string work = Directory.CreateTempSubdirectory("ecv-e2e-").FullName;
        try
        {
            string specFile = Path.Combine(work, "spec.json");
            string workerOutput = Path.Combine(work, "worker.json");
            await File.WriteAllTextAsync(specFile, JsonSerializer.Serialize(spec), cancellationToken);
            using (NetworkNamespace link = NetworkNamespace.Create(NamespaceName, mtu: 1500))
            {
                log.Info($"namespace {link.Name}: loopback at MTU 1500; starting the worker inside it");
                await RunWorkerAsync(link.Name, specFile, workerOutput, context.Quick, cancellationToken);
            }

            JsonObject worker = JsonNode.Parse(await File.ReadAllTextAsync(workerOutput, cancellationToken))!.AsObject();
            JsonObject result = Result(worker, spec);
            // Other work on the machine slows the compute both paths share; the link time is what it is.
            result["load_average_before"] = loadBefore;
            result["load_average_after"] = LoadAverage();
            return result;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static JsonObject Result(JsonObject worker, EndToEndSpec spec)
    {
        JsonArray rates = worker["rates"]!.AsArray();
        double speedupAt8 = rates.Single(r => (double)r!["mbit"]! == 8)!["speedup"]!.GetValue<double>();
        return new JsonObject
        {
            ["rates"] = rates.DeepClone(),
            ["frames_per_path_per_rate"] = spec.FramesPerPath,
            ["warmup_frames_per_rate"] = spec.WarmupFrames,
            ["photos"] = worker["photos"]!.DeepClone(),
            ["jpeg_bytes_mean"] = worker["jpeg_bytes_mean"]!.DeepClone(),
            ["jpeg_bytes_p50"] = worker["jpeg_bytes_p50"]!.DeepClone(),
            ["megapixels_mean"] = worker["megapixels_mean"]!.DeepClone(),
            ["fp16_bytes"] = worker["fp16_bytes"]!.DeepClone(),
            ["codebook_id"] = worker["codebook_id"]!.DeepClone(),
            ["link"] = $"network namespace loopback, MTU 1500, tc tbf at each rate (burst max(2 packets, 2 ms), queue {TokenBucket.QueueLimitBytes} bytes: no drops)",
            ["paths"] = "split: edge preprocess + vision_edge + AlignedVQ, codec frame over EdgeIngest.Stream, cloud rest; "
                + "cloud-only: the photograph's JPEG at original resolution as Frame.fallback_jpeg over EdgeIngest.Stream, cloud everything",
            ["latency"] = "from the edge holding the encoded JPEG to the Final on the ingest stream; one frame in flight; image-prefix cache off",
            ["goals"] = new JsonObject { ["speedup_at_least_2_at_8_mbit"] = speedupAt8 >= 2 },
        };
    }

    /// <summary>The 1, 5 and 15 minute load averages, as /proc/loadavg gives them.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static async Task RunWorkerAsync(string netns, string specFile, string output, bool quick, CancellationToken cancellationToken)
    {
        // Re-launch this benchmark (apphost or dotnet + dll, whichever runs now) inside the namespace.
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        IReadOnlyList<string> command = NetworkNamespace.Exec(netns, [host]);
        var start = new ProcessStartInfo(command[0]) { UseShellExecute = false };
        foreach (string argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        if (string.Equals(Path.GetFileNameWithoutExtension(host), "dotnet", StringComparison.Ordinal))
        {
            start.ArgumentList.Add(typeof(EndToEndSuite).Assembly.Location);
        }

        start.ArgumentList.Add("e2e");
        if (quick)
        {
            start.ArgumentList.Add("--quick");
        }

        start.ArgumentList.Add("--out");
        start.ArgumentList.Add(output);
        start.Environment[EndToEndWorker.SpecVariable] = specFile;
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("could not start the e2e worker");
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }

        if (process.ExitCode != 0 || !File.Exists(output))
        {
            throw new InvalidOperationException($"the e2e worker failed (exit code {process.ExitCode}); its log is above");
        }
    }
}
