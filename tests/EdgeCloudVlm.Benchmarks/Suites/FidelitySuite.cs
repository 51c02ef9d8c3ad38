using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeCloudVlm.Codec;
using EdgeCloudVlm.Codec.Baselines;
using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Codec.Frames;
using EdgeCloudVlm.Inference;
using EdgeCloudVlm.Inference.Calibration;
using EdgeCloudVlm.Inference.Evaluation;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;

namespace EdgeCloudVlm.Benchmarks.Suites;

/// <summary>
/// Suite <c>fidelity</c>: the demo model's evaluation set through the C# pipeline, uncompressed and with the split
/// tensor encoded and decoded by each codec. Codebooks are trained here on the model's calibration images, which the
/// evaluation images never appear in.
/// </summary>
internal sealed class FidelitySuite : IBenchmarkSuite
{
    /// <summary>The demo model's default, also shipped in its folder: position alignment, no per-token statistics (on
    /// this model they cost more bits than they save), up to six residual stages under a per-token error bound.</summary>
    internal const string DefaultConfig = "raw-pos-g1-s6-k256-e0.1-f0.25";

    /// <summary>Fixed-depth residual stages at about the default's rate.</summary>
    private const string FixedDepthAtDefaultRate = "raw-pos-g1-s2-k256";

    /// <summary>Plain VQ with the default's index bits.</summary>
    private const string PlainAtDefaultRate = "raw-g1-s2-k256";

    private static readonly string[] RateLadder =
    [
        "raw-pos-g1-s1-k16",
        "raw-pos-g1-s1-k128",
        "raw-pos-g1-s1-k256",
        "raw-pos-g1-s2-k64",
        "raw-pos-g1-s2-k128",
        "raw-pos-g1-s3-k64",
        FixedDepthAtDefaultRate,
        "raw-pos-g1-s3-k256",
        "raw-pos-g1-s6-k256-e0.2-f0.25",
        "raw-pos-g1-s6-k256-e0.15-f0.25",
        DefaultConfig,
        "raw-pos-g1-s6-k256-e0.05-f0.2",
        "norm2x16-center-g1-s1-k256",
        "norm2x16-center-g1-s2-k64",
        "raw-pos-g2-s2-k256",
        "norm2x16-center-g2-s2-k256",
        "norm4x32-center-g4-s3-k256",
        "norm8x32-center-g8-s4-k256",
    ];

    private static readonly string[] PlainLadder = ["raw-g1-s1-k16", "raw-g1-s1-k128", "raw-g1-s1-k256", "raw-g1-s2-k64", PlainAtDefaultRate, "raw-g1-s3-k256"];

    public Task<JsonObject> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var log = context.Log;
        var folder = RepositoryLayout.DemoModel;
        using var model = VlmModel.Load(folder);
        var set = EvalSet.Load(folder);
        if (context.Quick)
        {
            set = set.Take(150);
        }

        var tokens = model.Manifest.Vision.Tokens;
        var dimension = model.Manifest.Vision.HiddenDim;
        var runner = new EvalRunner(model);
        log.Info($"{set.Items.Count} questions; split tensor {tokens} x {dimension}");

        var calibrationImages = SplitFeatureCollector.FindImages(Path.Combine(folder, "calib"));
        var calibration = SplitFeatureCollector.Collect(model, calibrationImages, cancellationToken: cancellationToken);
        log.Info($"collected calibration features from {calibrationImages.Count} images");

        log.Info("uncompressed");
        var uncompressed = runner.Run(set, null, cancellationToken);
        var result = new JsonObject
        {
            ["model"] = model.Manifest.Name,
            ["tokens"] = tokens,
            ["dimension"] = dimension,
            ["eval_questions"] = set.Items.Count,
            ["uncompressed_accuracy"] = uncompressed.Accuracy,
            ["uncompressed_per_template"] = PerTemplate(uncompressed),
            ["pytorch_accuracy"] = PyTorchAccuracy(folder),
            ["fp16_bytes"] = tokens * dimension * 2,
            ["jpeg90_bytes_mean"] = JpegBytesMean(set),
        };

        JsonObject Measure(IFeatureCodec codec, string name)
        {
            cancellationToken.ThrowIfCancellationRequested();
            log.Info(name);
            var frame = new byte[codec.GetMaxFrameLength(tokens, dimension)];
            long bytes = 0;
            var frames = 0;
            var report = runner.Run(
                set,
                (hidden, t, d, destination) =>
                {
                    var length = codec.Encode(hidden, t, d, frame);
                    bytes += length;
                    frames++;
                    if (codec.Decode(frame.AsSpan(0, length), destination, out _) != FrameStatus.Ok)
                    {
                        throw new InvalidOperationException($"{name} could not decode its own frame.");
                    }
                },
                cancellationToken);
            var frameBytes = (double)bytes / frames;
            return new JsonObject
            {
                ["name"] = name,
                ["bits_per_token_all_in"] = frameBytes * 8 / tokens,
                ["frame_bytes"] = frameBytes,
                ["accuracy"] = report.Accuracy,
                ["delta"] = report.Accuracy - uncompressed.Accuracy,
            };
        }

        Codebook Train(string config)
        {
            log.Info($"training {config}");
            return CodebookTrainer.Train(
                calibration,
                dimension,
                AlignedVqConfig.Parse(config),
                new CodebookTrainingOptions { Seed = 1, Iterations = 25, ModelId = model.Manifest.Name, TokensPerFrame = tokens },
                cancellationToken: cancellationToken);
        }

        var points = new JsonArray();
        foreach (var config in RateLadder)
        {
            points.Add(Measure(new AlignedVqCodec(Train(config)), config));
        }

        result["points"] = points;
        var plain = new JsonArray();
        foreach (var config in PlainLadder)
        {
            plain.Add(Measure(new AlignedVqCodec(Train(config)), $"plain-vq {config}"));
        }

        result["plain_vq_points"] = plain;
        result["baselines"] = new JsonArray
        {
            Measure(new Float16Codec(), "fp16"),
            Measure(new PerTokenIntCodec(8), "int8-per-token"),
            Measure(new PerTokenIntCodec(4), "int4-per-token"),
            plain.Single(p => (string?)p!["name"] == $"plain-vq {PlainAtDefaultRate}")!.DeepClone(),
        };
        return Task.FromResult(result);
    }

    private static JsonObject PerTemplate(EvalReport report)
    {
        var json = new JsonObject();
        foreach (var (template, accuracy) in report.PerTemplate.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            json[template] = accuracy.Accuracy;
        }

        return json;
    }

    private static double? PyTorchAccuracy(string folder)
    {
        var path = Path.Combine(folder, "eval_report.json");
        if (!File.Exists(path))
        {
            return null;
        }

        using var document = JsonDocument.Parse(File.ReadAllText(path));
        foreach (var name in new[] { "accuracy", "overall_accuracy", "overall" })
        {
            if (document.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number)
            {
                return value.GetDouble();
            }
        }

        return null;
    }

    private static double JpegBytesMean(EvalSet set)
    {
        var encoder = new JpegEncoder { Quality = 90 };
        long total = 0;
        var images = set.Items.Select(item => set.ImagePath(item)).Distinct(StringComparer.Ordinal).ToList();
        foreach (var path in images)
        {
            using var image = Image.Load(path);
            using var buffer = new MemoryStream();
            image.SaveAsJpeg(buffer, encoder);
            total += buffer.Length;
        }

        return (double)total / images.Count;
    }
}
