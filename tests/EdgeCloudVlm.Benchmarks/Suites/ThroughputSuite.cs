using System.Diagnostics;
using System.Text.Json.Nodes;
using EdgeCloudVlm.Cloud.Engine;
using EdgeCloudVlm.Inference;
using EdgeCloudVlm.Inference.Evaluation;
using EdgeCloudVlm.Inference.Generation;
using EdgeCloudVlm.Inference.Runtime;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeCloudVlm.Benchmarks.Suites;

/// <summary>
/// Suite <c>throughput</c>: the cloud's continuous-batching engine in process on the demo model (CPU), answering the
/// evaluation questions (each a distinct question about an evaluation image, in file order: three per image) with one
/// client at a time and with sixteen clients that each send their next request when the previous answer is complete.
/// </summary>
internal sealed class ThroughputSuite : IBenchmarkSuite
{
    private const int Concurrency = 16;

    // One ONNX Runtime thread per call: the scheduler is one thread, and the request threads preprocess images beside it.
    private const int IntraOpThreads = 1;

    public async Task<JsonObject> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var log = context.Log;
        var folder = RepositoryPaths.DemoModel;
        using var model = VlmModel.Load(folder, new VlmModelOptions
        {
            Session = new OnnxSessionOptions { Provider = ExecutionProvider.Cpu, IntraOpThreads = IntraOpThreads },
        });
        var set = EvalSet.Load(folder);
        var items = set.Items.Take(context.Quick ? 150 : set.Items.Count).ToArray();
        var requests = items.Select(item => new Request(item.Question, File.ReadAllBytes(set.ImagePath(item)))).ToArray();
        var images = items.Select(item => item.Image).Distinct(StringComparer.Ordinal).Count();
        var repetitions = context.Quick ? 1 : 3;
        var options = new EngineOptions { KvCacheMemoryMiB = 64, MaxSequenceTokens = 128, ImageWorkers = int.Parse(Environment.GetEnvironmentVariable("IW") ?? "1") };
        log.Info($"{requests.Length} questions about {images} images; {repetitions} repetitions; {IntraOpThreads} ONNX Runtime thread per call");
        var (best1, best16) = await MeasureLoadAsync(model, options, requests, repetitions, log, cancellationToken);
        var prefix = await MeasurePrefixCacheAsync(model, options, set, context.Quick ? 20 : 100, cancellationToken);
        log.Info($"prefix cache: first question {prefix.FirstMs:F2} ms, second {prefix.SecondMs:F2} ms of vision + prefill");

        // For comparison: ONNX Runtime's own thread count (one per core), the service's default.
        using var defaultThreads = VlmModel.Load(folder, new VlmModelOptions { Session = new OnnxSessionOptions { Provider = ExecutionProvider.Cpu } });
        log.Info("again with ONNX Runtime's default thread count");
        var (default1, default16) = await MeasureLoadAsync(defaultThreads, options, requests, repetitions, log, cancellationToken);

        var speedup = best16.TokensPerSecond / best1.TokensPerSecond;
        return new JsonObject
        {
            ["model"] = model.Manifest.Name,
            ["requests"] = requests.Length,
            ["images"] = images,
            ["repetitions"] = repetitions,
            ["intra_op_threads"] = IntraOpThreads,
            ["output_tokens"] = best1.Tokens,
            ["tokens_per_s_c1"] = best1.TokensPerSecond,
            ["tokens_per_s_c16"] = best16.TokensPerSecond,
            ["batching_speedup"] = speedup,
            ["requests_per_s_c1"] = best1.RequestsPerSecond,
            ["requests_per_s_c16"] = best16.RequestsPerSecond,
            ["ttft_ms_p50_c1"] = best1.TtftP50Ms,
            ["ttft_ms_p50_c16"] = best16.TtftP50Ms,
            ["ttft_ms_p99_c16"] = best16.TtftP99Ms,
            ["ort_time_fraction"] = best1.Counters.OrtFraction,
            ["decode_step_ms_c1"] = Milliseconds(best1.Counters.DecodeTime) / best1.Counters.DecodeSteps,
            ["decode_step_ms_c16"] = Milliseconds(best16.Counters.DecodeTime) / best16.Counters.DecodeSteps,
            ["mean_batch_c16"] = best16.Counters.DecodeRows / (double)best16.Counters.DecodeSteps,
            ["decode_share_of_wall_c1"] = Milliseconds(best1.Counters.DecodeTime) / best1.WallMs,
            ["decode_share_of_wall_c16"] = Milliseconds(best16.Counters.DecodeTime) / best16.WallMs,
            ["prefix_cache_hits_c16"] = best16.Counters.PrefixHits,
            ["prefix_cache_misses_c16"] = best16.Counters.PrefixMisses,
            ["batch_rebuilds_c16"] = best16.Counters.Rebuilds,
            ["prefix_first_question_ms"] = prefix.FirstMs,
            ["prefix_second_question_ms"] = prefix.SecondMs,
            ["prefix_cache_speedup"] = prefix.FirstMs / prefix.SecondMs,
            ["ort_default_threads"] = new JsonObject
            {
                ["tokens_per_s_c1"] = default1.TokensPerSecond,
                ["tokens_per_s_c16"] = default16.TokensPerSecond,
                ["batching_speedup"] = default16.TokensPerSecond / default1.TokensPerSecond,
                ["ort_time_fraction"] = default1.Counters.OrtFraction,
            },
            ["goals"] = new JsonObject
            {
                ["batching_speedup_at_least_3"] = speedup >= 3,
                ["ort_time_fraction_at_least_0_85"] = best1.Counters.OrtFraction >= 0.85,
                ["prefix_cache_speedup_at_least_2"] = prefix.FirstMs / prefix.SecondMs >= 2,
            },
        };
    }

    /// <summary>Warms up, then alternates one-client and sixteen-client runs; the median run of each.</summary>
    private static async Task<(LoadResult C1, LoadResult C16)> MeasureLoadAsync(
        VlmModel model, EngineOptions options, Request[] requests, int repetitions, BenchmarkLog log, CancellationToken cancellationToken)
    {
        await RunClosedLoopAsync(model, options, requests.Take(64).ToArray(), Concurrency, cancellationToken);
        await RunClosedLoopAsync(model, options, requests.Take(32).ToArray(), 1, cancellationToken);
        var c1 = new List<LoadResult>();
        var c16 = new List<LoadResult>();
        for (var rep = 0; rep < repetitions; rep++)
        {
            c1.Add(await RunClosedLoopAsync(model, options, requests, 1, cancellationToken));
            log.Info($"c1: {c1[^1].TokensPerSecond:F0} tokens/s, ORT share of the decode loop {c1[^1].Counters.OrtFraction:F3}");
            c16.Add(await RunClosedLoopAsync(model, options, requests, Concurrency, cancellationToken));
            log.Info($"c16: {c16[^1].TokensPerSecond:F0} tokens/s, TTFT p50 {c16[^1].TtftP50Ms:F1} ms, mean batch {c16[^1].Counters.DecodeRows / (double)c16[^1].Counters.DecodeSteps:F1}");
        }

        return (Median(c1), Median(c16));
    }

    /// <summary>Runs every request once with <paramref name="clients"/> clients, each sending its next request when
    /// its previous answer is complete, on a fresh engine (empty prefix cache).</summary>
    private static async Task<LoadResult> RunClosedLoopAsync(
        VlmModel model, EngineOptions options, Request[] requests, int clients, CancellationToken cancellationToken)
    {
        await using var engine = new GenerationEngine("shapes-vqa", model, options, TimeProvider.System, NullLogger<GenerationEngine>.Instance);
        var ttft = new double[requests.Length];
        var tokens = new int[requests.Length];
        var next = -1;
        var before = engine.Counters.Snapshot();
        var start = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests.Length)
            {
                var request = new EngineRequest(EngineImage.FromEncoded(requests[i].Image), requests[i].Question, new GenerationOptions());
                var sent = Stopwatch.GetTimestamp();
                var first = true;
                await foreach (var delta in engine.GenerateAsync(request, cancellationToken).ConfigureAwait(false))
                {
                    if (first)
                    {
                        ttft[i] = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                        first = false;
                    }

                    if (delta.Result is { } result)
                    {
                        tokens[i] = result.CompletionTokens;
                    }
                }
            }
        }, cancellationToken)).ToArray();
        await Task.WhenAll(workers);
        var wall = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        var counters = engine.Counters.Snapshot() - before;
        var total = tokens.Sum();
        return new LoadResult(
            total,
            wall,
            total / (wall / 1000),
            requests.Length / (wall / 1000),
            Timing.Percentile(ttft, 0.5),
            Timing.Percentile(ttft, 0.99),
            counters);
    }

    /// <summary>Vision + prefill time of the first and the second question about each of <paramref name="images"/>
    /// images, one request at a time on a fresh engine; medians.</summary>
    private static async Task<(double FirstMs, double SecondMs)> MeasurePrefixCacheAsync(
        VlmModel model, EngineOptions options, EvalSet set, int images, CancellationToken cancellationToken)
    {
        await using var engine = new GenerationEngine("shapes-vqa", model, options, TimeProvider.System, NullLogger<GenerationEngine>.Instance);
        var first = new List<double>();
        var second = new List<double>();
        foreach (var group in set.Items.GroupBy(i => i.Image).Take(images))
        {
            var questions = group.ToArray();
            var image = File.ReadAllBytes(set.ImagePath(questions[0]));
            for (var q = 0; q < 2; q++)
            {
                var request = new EngineRequest(EngineImage.FromEncoded(image), questions[q].Question, new GenerationOptions());
                GenerationResult? result = null;
                await foreach (var delta in engine.GenerateAsync(request, cancellationToken).ConfigureAwait(false))
                {
                    result = delta.Result ?? result;
                }

                var ms = (result!.Timings.Vision + result.Timings.Prefill).TotalMilliseconds;
                (q == 0 ? first : second).Add(ms);
            }
        }

        return (Timing.Percentile([.. first], 0.5), Timing.Percentile([.. second], 0.5));
    }

    private static LoadResult Median(List<LoadResult> runs) =>
        runs.OrderBy(r => r.TokensPerSecond).ElementAt(runs.Count / 2);

    private static double Milliseconds(TimeSpan time) => time.TotalMilliseconds;

    private sealed record Request(string Question, byte[] Image);

    private sealed record LoadResult(
        int Tokens,
        double WallMs,
        double TokensPerSecond,
        double RequestsPerSecond,
        double TtftP50Ms,
        double TtftP99Ms,
        EngineCountersSnapshot Counters);
}
