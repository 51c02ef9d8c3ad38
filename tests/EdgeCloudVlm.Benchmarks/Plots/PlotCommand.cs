using EdgeCloudVlm.Codec;
using System.Globalization;
using System.Text.Json.Nodes;
using ScottPlot;

namespace EdgeCloudVlm.Benchmarks.Plots;

/// <summary>
/// <c>dotnet run -c Release --project tests/EdgeCloudVlm.Benchmarks -- plots [results folder] [plots folder]</c>:
/// draws the figures of docs/benchmarks.md from the committed suite results (docs/results/*.json into docs/plots/).
/// A suite whose result file is missing is skipped with a note.
/// </summary>
internal static class PlotCommand
{
    private const int Width = 900;
    private const int Height = 540;

    public static int Run(string[] args)
    {
        var results = args.Length > 1 ? args[1] : Path.Combine(RepositoryLayout.Root, "docs", "results");
        var plots = args.Length > 2 ? args[2] : Path.Combine(RepositoryLayout.Root, "docs", "plots");
        Directory.CreateDirectory(plots);
        var drawn = 0;
        drawn += Draw(results, "fidelity.json", plots, "fidelity-rate-accuracy.png", FidelityPlot);
        drawn += Draw(results, "resnet-fidelity.json", plots, "resnet-rate-cosine.png", ResNetPlot);
        drawn += Draw(results, "codec.json", plots, "codec-rate-distortion.png", CodecPlot);
        drawn += Draw(results, "e2e.json", plots, "e2e-latency.png", LatencyPlot);
        var manyCores = ReadIfPresent(results, "throughput-16-cores.json");
        drawn += Draw(results, "throughput.json", plots, "throughput-concurrency.png", json => ThroughputPlot(json, manyCores));
        Console.Error.WriteLine($"drew {drawn} plots into {plots}");
        return drawn > 0 ? 0 : 1;
    }

    private static int Draw(string results, string file, string plots, string png, Func<JsonObject, Plot> draw)
    {
        if (ReadIfPresent(results, file) is not { } json)
        {
            Console.Error.WriteLine($"skipped {png}: {Path.Combine(results, file)} not found");
            return 0;
        }

        var plot = draw(json);
        plot.SavePng(Path.Combine(plots, png), Width, Height);
        Console.Error.WriteLine($"wrote {png}");
        return 1;
    }

    private static JsonObject? ReadIfPresent(string results, string file)
    {
        var path = Path.Combine(results, file);
        return File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path))!.AsObject() : null;
    }

    private static Plot FidelityPlot(JsonObject json)
    {
        var plot = RateAxes($"Demo task: exact-match accuracy against rate ({Number(json["eval_questions"])} questions)", "accuracy");
        // One line per family: joining configurations of different families by rate alone would zigzag.
        var points = json["points"];
        AddSeries(plot, Matching(points, name => AlignedVqConfig.Parse(name).ErrorBound is not null), "accuracy",
            "AlignedVQ raw-pos, error-bounded stages", Colors.Blue, MarkerShape.FilledCircle, connect: true);
        AddSeries(plot, Matching(points, name => name.StartsWith("raw-pos", StringComparison.Ordinal) && AlignedVqConfig.Parse(name).ErrorBound is null), "accuracy",
            "AlignedVQ raw-pos, fixed-depth stages", Colors.DarkCyan, MarkerShape.FilledTriangleUp, connect: true);
        AddSeries(plot, Matching(points, name => name.StartsWith("norm", StringComparison.Ordinal)), "accuracy",
            "AlignedVQ with per-token statistics", Colors.Purple, MarkerShape.OpenCircle, connect: true);
        AddSeries(plot, json["plain_vq_points"], "accuracy", "plain VQ", Colors.OrangeRed, MarkerShape.FilledSquare, connect: true);
        AddSeries(plot, Without(json["baselines"], "plain-vq"), "accuracy", "fp16 / int8 / int4 per token", Colors.Gray, MarkerShape.FilledDiamond, connect: false);
        var reference = plot.Add.HorizontalLine(Number(json["uncompressed_accuracy"]));
        reference.LegendText = "uncompressed";
        reference.LinePattern = LinePattern.Dashed;
        reference.Color = Colors.Black;
        return Finish(plot);
    }

    private static Plot ResNetPlot(JsonObject json)
    {
        var plot = RateAxes($"ResNet18 on real photographs: embedding cosine against rate ({Number(json["evaluation_images"])} images)", "mean cosine of 512-d embeddings");
        AddSeries(plot, json["points"], "embedding_cosine_mean", "AlignedVQ", Colors.Blue, MarkerShape.FilledCircle, connect: true);
        AddSeries(plot, json["plain_vq_points"], "embedding_cosine_mean", "plain VQ", Colors.OrangeRed, MarkerShape.FilledSquare, connect: true);
        AddSeries(plot, json["baselines"], "embedding_cosine_mean", "fp16 / int8 / int4 per token", Colors.Gray, MarkerShape.FilledDiamond, connect: false);
        return Finish(plot);
    }

    private static Plot CodecPlot(JsonObject json)
    {
        var plot = RateAxes("Codec on synthetic ViT-L/14 activations (577 x 1024): relative MSE against rate", "relative MSE");
        AddSeries(plot, json["points"], "relative_mse", "AlignedVQ", Colors.Blue, MarkerShape.FilledCircle, connect: true);
        AddSeries(plot, json["plain_vq_points"], "relative_mse", "plain VQ", Colors.OrangeRed, MarkerShape.FilledSquare, connect: true);
        return Finish(plot);
    }

    private static Plot LatencyPlot(JsonObject json)
    {
        var plot = new Plot();
        plot.Title("End-to-end latency per frame against link rate");
        plot.YLabel("latency p50 (ms)");
        plot.XLabel("link rate (Mbit/s, log scale)");
        var rates = json["rates"]!.AsArray().Select(r => r!.AsObject()).ToList();
        double[] xs = [.. rates.Select(r => Math.Log10(Number(r["mbit"])))];
        AddLine(plot, xs, [.. rates.Select(r => Number(r["split_ms_p50"]))], "split (edge head + AlignedVQ frame)", Colors.Blue, MarkerShape.FilledCircle);
        AddLine(plot, xs, [.. rates.Select(r => Number(r["cloud_only_ms_p50"]))], "cloud only (JPEG)", Colors.OrangeRed, MarkerShape.FilledSquare);
        plot.Axes.Bottom.SetTicks(xs, [.. rates.Select(r => Number(r["mbit"]).ToString(CultureInfo.InvariantCulture))]);
        return Finish(plot, Alignment.UpperRight);
    }

    /// <summary>Tokens/s against concurrency, one line per host the suite ran on (the second one optional).</summary>
    private static Plot ThroughputPlot(JsonObject json, JsonObject? otherHost)
    {
        var plot = new Plot();
        plot.Title("Engine throughput against concurrent requests (demo model, CPU)");
        plot.YLabel("output tokens per second");
        plot.XLabel("concurrent requests");
        AddThroughputLine(plot, json, Colors.Blue, MarkerShape.FilledCircle);
        if (otherHost is not null)
        {
            AddThroughputLine(plot, otherHost, Colors.DarkGreen, MarkerShape.FilledSquare);
        }

        return Finish(plot);
    }

    private static void AddThroughputLine(Plot plot, JsonObject json, Color color, MarkerShape marker)
    {
        var points = new List<(double Concurrency, double TokensPerSecond)>();
        if (json["concurrency_points"] is JsonArray curve)
        {
            points.AddRange(curve.Select(p => (Number(p!["concurrency"]), Number(p["tokens_per_s"]))));
        }
        else
        {
            foreach (var (key, value) in json)
            {
                if (key.StartsWith("tokens_per_s_c", StringComparison.Ordinal) && int.TryParse(key.AsSpan("tokens_per_s_c".Length), out var concurrency))
                {
                    points.Add((concurrency, Number(value)));
                }
            }
        }

        points.Sort();
        var label = json["machine"]?["processors"] is JsonNode processors
            ? $"{Number(processors)} processors, {Number(json["image_workers"] ?? 1)} image + {Number(json["prefill_workers"] ?? 0)} prefill workers"
            : "continuous batching";
        AddLine(plot, [.. points.Select(p => p.Concurrency)], [.. points.Select(p => p.TokensPerSecond)], label, color, marker);
    }

    private static Plot RateAxes(string title, string yLabel)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.YLabel(yLabel);
        plot.XLabel("bits per token, all in (log scale)");
        double[] ticks = [4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384];
        plot.Axes.Bottom.SetTicks([.. ticks.Select(Math.Log10)], [.. ticks.Select(t => t.ToString(CultureInfo.InvariantCulture))]);
        return plot;
    }

    private static void AddSeries(Plot plot, JsonNode? series, string yField, string label, Color color, MarkerShape marker, bool connect)
    {
        if (series is not JsonArray array || array.Count == 0)
        {
            return;
        }

        var points = array.Select(p => p!.AsObject()).OrderBy(p => Number(p["bits_per_token_all_in"])).ToList();
        double[] xs = [.. points.Select(p => Math.Log10(Number(p["bits_per_token_all_in"])))];
        double[] ys = [.. points.Select(p => Number(p[yField]))];
        var scatter = plot.Add.Scatter(xs, ys);
        scatter.LegendText = label;
        scatter.Color = color;
        scatter.MarkerShape = marker;
        scatter.MarkerSize = 8;
        scatter.LineWidth = connect ? 2 : 0;
    }

    private static void AddLine(Plot plot, double[] xs, double[] ys, string label, Color color, MarkerShape marker)
    {
        var scatter = plot.Add.Scatter(xs, ys);
        scatter.LegendText = label;
        scatter.Color = color;
        scatter.MarkerShape = marker;
        scatter.MarkerSize = 8;
        scatter.LineWidth = 2;
    }

    private static Plot Finish(Plot plot, Alignment legend = Alignment.LowerRight)
    {
        plot.ShowLegend(legend);
        return plot;
    }

    private static JsonArray Without(JsonNode? series, string namePrefix) =>
        Matching(series, name => !name.StartsWith(namePrefix, StringComparison.Ordinal));

    private static JsonArray Matching(JsonNode? series, Func<string, bool> predicate) =>
        [.. (series as JsonArray ?? []).Where(p => predicate(Name(p))).Select(p => p!.DeepClone())];

    private static string Name(JsonNode? point) => point?["name"]?.GetValue<string>() ?? "";

    private static double Number(JsonNode? node) => node?.GetValue<double>() ?? double.NaN;
}
