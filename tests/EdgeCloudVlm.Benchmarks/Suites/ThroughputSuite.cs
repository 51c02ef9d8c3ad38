using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Text.Json.Nodes;
using EdgeCloudVlm.Cloud.Engine;
using EdgeCloudVlm.Inference;
using EdgeCloudVlm.Inference.Evaluation;
using EdgeCloudVlm.Inference.Generation;
using EdgeCloudVlm.Inference.Runtime;
using Microsoft.Extensions.Configuration;
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
        var loadAtStart = LoadAverage();
        var folder = RepositoryLayout.DemoModel;
        using var model = VlmModel.Load(folder, new VlmModelOptions
        {
            Session = new OnnxSessionOptions { Provider = ExecutionProvider.Cpu, IntraOpThreads = IntraOpThreads },
        });
        var set = EvalSet.Load(folder);
        var items = set.Items.Take(context.Quick ? 150 : set.Items.Count).ToArray();
        var requests = items.Select(item => new Request(item.Question, File.ReadAllBytes(set.ImagePath(item)))).ToArray();
        var images = items.Select(item => item.Image).Distinct(StringComparer.Ordinal).Count();
        var repetitions = context.Quick ? 1 : 3;
        var options = EngineOptionsFor(context.EngineSettings);
        log.Info($"{requests.Length} questions about {images} images; {repetitions} repetitions; {IntraOpThreads} ONNX Runtime thread per call; {options.ImageWorkersFor(Environment.ProcessorCount)} image and {options.PrefillWorkersFor(Environment.ProcessorCount)} prefill workers on {Environment.ProcessorCount} processors");
        var runs = await MeasureLoadAsync(model, options, requests, [1, 2, 4, 8, Concurrency, 32], repetitions, log, cancellationToken);
        var c1 = runs[1];
        var c16 = runs[Concurrency];
        var curve = new JsonArray();
        foreach (var (clients, run) in runs)
        {
            curve.Add(new JsonObject
            {
                ["concurrency"] = clients,
                ["tokens_per_s"] = run.TokensPerSecond,
                ["ttft_ms_p50"] = run.TtftP50Ms,
                ["mean_batch"] = run.Counters.DecodeRows / (double)run.Counters.DecodeSteps,
                ["cores_busy"] = run.CoresBusy,
                ["cpu_ms_per_request"] = run.CoresBusy * 1000 / run.RequestsPerSecond,
            });
        }

        var prefix = await MeasurePrefixCacheAsync(model, options, set, context.Quick ? 20 : 100, cancellationToken);
        log.Info($"prefix cache: first question {prefix.FirstMs:F2} ms, second {prefix.SecondMs:F2} ms of vision + prefill");

        // For comparison: ONNX Runtime's own thread count (one per core), the service's default.
        using var defaultThreads = VlmModel.Load(folder, new VlmModelOptions { Session = new OnnxSessionOptions { Provider = ExecutionProvider.Cpu } });
        log.Info("again with ONNX Runtime's default thread count");
        var defaults = await MeasureLoadAsync(defaultThreads, options, requests, [1, Concurrency], repetitions, log, cancellationToken);
        var (default1, default16) = (defaults[1], defaults[Concurrency]);

        var speedup = c16.TokensPerSecond / c1.TokensPerSecond;
        return new JsonObject
        {
            ["load_average_1min_at_start"] = loadAtStart,
            ["load_average_1min_at_end"] = LoadAverage(),
            ["model"] = model.Manifest.Name,
            ["requests"] = requests.Length,
            ["images"] = images,
            ["repetitions"] = repetitions,
            ["intra_op_threads"] = IntraOpThreads,
            ["engine_options"] = new JsonObject(context.EngineSettings.Select(pair => KeyValuePair.Create(pair.Key, (JsonNode?)pair.Value))),
            ["image_workers"] = options.ImageWorkersFor(Environment.ProcessorCount),
            ["prefill_workers"] = options.PrefillWorkersFor(Environment.ProcessorCount),
            ["output_tokens"] = c1.Tokens,
            ["tokens_per_s_c1"] = c1.TokensPerSecond,
            ["tokens_per_s_c16"] = c16.TokensPerSecond,
            ["batching_speedup"] = speedup,
            ["requests_per_s_c1"] = c1.RequestsPerSecond,
            ["requests_per_s_c16"] = c16.RequestsPerSecond,
            ["ttft_ms_p50_c1"] = c1.TtftP50Ms,
            ["ttft_ms_p50_c16"] = c16.TtftP50Ms,
            ["ttft_ms_p99_c16"] = c16.TtftP99Ms,
            ["ort_time_fraction"] = c1.Counters.OrtFraction,
            ["decode_step_ms_c1"] = Milliseconds(c1.Counters.DecodeTime) / c1.Counters.DecodeSteps,
            ["decode_step_ms_c16"] = Milliseconds(c16.Counters.DecodeTime) / c16.Counters.DecodeSteps,
            ["mean_batch_c16"] = c16.Counters.DecodeRows / (double)c16.Counters.DecodeSteps,
            ["decode_share_of_wall_c1"] = Milliseconds(c1.Counters.DecodeTime) / c1.WallMs,
            ["decode_share_of_wall_c16"] = Milliseconds(c16.Counters.DecodeTime) / c16.WallMs,
            ["prefix_cache_hits_c16"] = c16.Counters.PrefixHits,
            ["prefix_cache_misses_c16"] = c16.Counters.PrefixMisses,
            ["batch_rebuilds_c16"] = c16.Counters.Rebuilds,
            ["prefix_first_question_ms"] = prefix.FirstMs,
            ["prefix_second_question_ms"] = prefix.SecondMs,
            ["prefix_cache_speedup"] = prefix.FirstMs / prefix.SecondMs,
            ["concurrency_points"] = curve,
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
                ["ort_time_fraction_at_least_0_85"] = c1.Counters.OrtFraction >= 0.85,
                ["prefix_cache_speedup_at_least_2"] = prefix.FirstMs / prefix.SecondMs >= 2,
            },
        };
    }

    /// <summary>The suite's engine options (a 64 MiB KV budget of 128-position sequences), with the command line's
    /// <c>--engine</c> settings bound on top and validated as the service validates its configuration.</summary>
    private static EngineOptions EngineOptionsFor(IReadOnlyDictionary<string, string?> settings)
    {
        var options = new EngineOptions { KvCacheMemoryMiB = 64, MaxSequenceTokens = 128 };
        try
        {
            new ConfigurationBuilder().AddInMemoryCollection(settings).Build().Bind(options, binder => binder.ErrorOnUnknownConfiguration = true);
            Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ValidationException)
        {
            throw new BenchmarkUsageException($"--engine: {ex.Message}");
        }

        return options;
    }

    /// <summary>Warms up, then runs every concurrency level in turn, <paramref name="repetitions"/> rounds (so
    /// interference from other work on the machine spreads over all levels); the median run of each level.</summary>
    private static async Task<SortedDictionary<int, LoadResult>> MeasureLoadAsync(
        VlmModel model, EngineOptions options, Request[] requests, int[] levels, int repetitions, BenchmarkLog log, CancellationToken cancellationToken)
    {
        await RunClosedLoopAsync(model, options, requests.Take(64).ToArray(), Concurrency, cancellationToken);
        await RunClosedLoopAsync(model, options, requests.Take(32).ToArray(), 1, cancellationToken);
        var all = levels.ToDictionary(level => level, _ => new List<LoadResult>());
        for (var rep = 0; rep < repetitions; rep++)
        {
            foreach (var clients in levels)
            {
                var run = await RunClosedLoopAsync(model, options, requests, clients, cancellationToken);
                all[clients].Add(run);
                log.Info($"c{clients}: {run.TokensPerSecond:F0} tokens/s, TTFT p50 {run.TtftP50Ms:F1} ms, mean batch {run.Counters.DecodeRows / (double)run.Counters.DecodeSteps:F1}, ORT share of the decode loop {run.Counters.OrtFraction:F3}");
            }
        }

        return new SortedDictionary<int, LoadResult>(all.ToDictionary(pair => pair.Key, pair => Median(pair.Value)));
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
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
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
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds;
        var counters = engine.Counters.Snapshot() - before;
        var total = tokens.Sum();
        return new LoadResult(
            total,
            wall,
            total / (wall / 1000),
            requests.Length / (wall / 1000),
            Timing.Percentile(ttft, 0.5),
            Timing.Percentile(ttft, 0.99),
            cpu / wall,
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

    /// <summary>The machine's one-minute load average (Linux), to judge whether other work shared the cores.</summary>
    private static double LoadAverage()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.AsSpan(0, text.IndexOf(' ', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return double.NaN;
        }
        catch (UnauthorizedAccessException)
        {
            return double.NaN;
        }
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
        double CoresBusy,
        EngineCountersSnapshot Counters);
}
