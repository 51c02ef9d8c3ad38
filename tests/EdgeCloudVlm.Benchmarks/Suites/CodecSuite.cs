using System.Text.Json.Nodes;
using EdgeCloudVlm.Codec;
using EdgeCloudVlm.Codec.Baselines;
using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Codec.Frames;
using EdgeCloudVlm.Codec.Synthetic;
using EdgeCloudVlm.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace EdgeCloudVlm.Benchmarks.Suites;

/// <summary>
/// Suite <c>codec</c>: AlignedVQ at the LLaVA-1.5 split shape (577 x 1024) on synthetic ViT-like activations, with
/// codebooks trained on other sample seeds than the ones evaluated. Sizes are whole frames; times are medians.
/// </summary>
internal sealed class CodecSuite : IBenchmarkSuite
{
    private const int Tokens = 577;
    private const int Dimension = 1024;
    private const int TrainSeedBase = 100_000;
    private const int EvalSeedBase = 900_000;

    /// <summary>
    /// The default at this shape: most of the statistics' bits go to the RMS (24 levels), which pays back more than
    /// the same bits spent on indices; see docs/codec.md.
    /// </summary>
    internal static readonly AlignedVqConfig DefaultConfig = AlignedVqConfig.Parse("norm2x24-center-pca96-g1-s2-k64");

    /// <summary>A rate ladder from about 4 to about 64 bits per token.</summary>
    private static readonly string[] RateLadder =
    [
        "norm2x4-center-pca32-g1-s1-k4",
        "norm2x8-center-pca64-g1-s1-k16",
        "norm2x16-center-pca96-g1-s1-k256",
        "norm2x24-center-pca96-g1-s2-k64",
        "norm2x32-center-pca128-g2-s2-k256",
        "norm4x32-center-pca256-g4-s2-k256",
    ];

    /// <summary>Plain VQ (no alignment, no projection) at rates around the default, to compare at the same rate.</summary>
    private static readonly string[] PlainLadder =
    [
        "raw-g1-s2-k256",
        "raw-g1-s2-k512",
        "raw-g1-s2-k1024",
        "raw-g1-s3-k256",
    ];

    public Task<JsonObject> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var log = context.Log;
        var trainFrames = context.Quick ? 24 : 96;
        var evalFrames = context.Quick ? 4 : 12;
        var iterations = context.Quick ? 10 : 20;
        var generator = new VitActivationGenerator(Tokens, Dimension);
        log.Info($"generating {trainFrames} calibration and {evalFrames} evaluation frames of {Tokens} x {Dimension}");
        var calibration = Generate(generator, TrainSeedBase, trainFrames);
        var evaluation = Generate(generator, EvalSeedBase, evalFrames);
        var fp16Bytes = Tokens * Dimension * 2;

        Codebook Train(AlignedVqConfig config)
        {
            log.Info($"training {config}");
            return CodebookTrainer.Train(
                calibration,
                Dimension,
                config,
                new CodebookTrainingOptions { Seed = 1, Iterations = iterations, DataDescription = "synthetic ViT residual stream, calibration seeds", ModelId = "synthetic-vit-l14-336" },
                cancellationToken: cancellationToken);
        }

        var defaultCodebook = Train(DefaultConfig);
        var defaultCodec = new AlignedVqCodec(defaultCodebook);
        var defaultPoint = Evaluate(defaultCodec, evaluation, evalFrames);
        var result = new JsonObject
        {
            ["config"] = DefaultConfig.ToString(),
            ["tokens"] = Tokens,
            ["dimension"] = Dimension,
            ["train_frames"] = trainFrames,
            ["eval_frames"] = evalFrames,
            ["bits_per_token_all_in"] = defaultPoint.BitsPerToken,
            ["frame_bytes"] = defaultPoint.FrameBytes,
            ["fp16_bytes"] = fp16Bytes,
            ["compression_vs_fp16"] = fp16Bytes / defaultPoint.FrameBytes,
            ["relative_mse"] = defaultPoint.RelativeMse,
            ["cosine_mean"] = defaultPoint.CosineMean,
        };

        log.Info("timing the default configuration");
        var features = evaluation.AsSpan(0, Tokens * Dimension).ToArray();
        var frame = new byte[defaultCodec.GetMaxFrameLength(Tokens, Dimension)];
        var frameLength = defaultCodec.Encode(features, Tokens, Dimension, frame);
        var decoded = new float[Tokens * Dimension];
        var repetitions = context.Quick ? 15 : 41;
        var encodeMs = Timing.MedianMilliseconds(() => defaultCodec.Encode(features, Tokens, Dimension, frame), 3, repetitions);
        var parallelCodec = new AlignedVqCodec(defaultCodebook, new AlignedVqCodecOptions { MaxDegreeOfParallelism = Environment.ProcessorCount });
        var encodeParallelMs = Timing.MedianMilliseconds(() => parallelCodec.Encode(features, Tokens, Dimension, frame), 3, repetitions);
        var decodeMs = Timing.MedianMilliseconds(() => defaultCodec.Decode(frame.AsSpan(0, frameLength), decoded, out _), 3, repetitions);

        var columns = 2 + (defaultCodebook.Groups * defaultCodebook.Stages);
        var naiveSymbols = new int[Tokens * columns];
        var fastSymbols = new int[Tokens * columns];
        var naiveMs = Timing.MedianMilliseconds(() =>
        {
            NaiveAlignedVqEncoder.ComputeSymbols(defaultCodebook, features, Tokens, naiveSymbols);
            defaultCodec.EncodeSymbols(naiveSymbols, Tokens, Dimension, frame);
        }, 1, context.Quick ? 3 : 5);
        defaultCodec.ComputeSymbols(features, Tokens, fastSymbols);
        var agreement = Agreement(naiveSymbols, fastSymbols);

        var allocated = MeasureAllocation(() => defaultCodec.Encode(features, Tokens, Dimension, frame));
        var visionBlockMs = VisionBlockMilliseconds(context, features);
        result["encode_ms"] = encodeMs;
        result["encode_ms_parallel"] = encodeParallelMs;
        result["encode_threads_parallel"] = Environment.ProcessorCount;
        result["decode_ms"] = decodeMs;
        result["naive_encode_ms"] = naiveMs;
        result["speedup_vs_naive"] = naiveMs / encodeMs;
        result["naive_symbol_agreement"] = agreement;
        result["encode_bytes_allocated_after_warmup"] = allocated;
        result["vision_block_ms"] = visionBlockMs;
        result["codec_overhead_ratio"] = encodeMs / visionBlockMs;

        var points = new JsonArray();
        foreach (var text in RateLadder)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var config = AlignedVqConfig.Parse(text);
            var point = config == DefaultConfig ? defaultPoint : Evaluate(new AlignedVqCodec(Train(config)), evaluation, evalFrames);
            points.Add(point.ToJson(text));
        }

        result["points"] = points;

        log.Info("baselines");
        var plainPoints = new List<RatePoint>();
        foreach (var text in PlainLadder)
        {
            cancellationToken.ThrowIfCancellationRequested();
            plainPoints.Add(Evaluate(new AlignedVqCodec(Train(AlignedVqConfig.Parse(text))), evaluation, evalFrames));
        }

        // The plain-VQ point nearest the default's rate is the baseline "at the default rate"; the comparison also
        // interpolates plain VQ's error (linearly in bits, log in error) to exactly the default's rate.
        var nearest = 0;
        for (var i = 1; i < plainPoints.Count; i++)
        {
            if (Math.Abs(plainPoints[i].BitsPerToken - defaultPoint.BitsPerToken) < Math.Abs(plainPoints[nearest].BitsPerToken - defaultPoint.BitsPerToken))
            {
                nearest = i;
            }
        }

        var baselines = new JsonArray
        {
            Evaluate(new Float16Codec(), evaluation, evalFrames).ToJson("fp16"),
            Evaluate(new PerTokenIntCodec(8), evaluation, evalFrames).ToJson("int8-per-token"),
            Evaluate(new PerTokenIntCodec(4), evaluation, evalFrames).ToJson("int4-per-token"),
            plainPoints[nearest].ToJson($"plain-vq {PlainLadder[nearest]}"),
        };
        result["baselines"] = baselines;
        var plainLadder = new JsonArray();
        for (var i = 0; i < plainPoints.Count; i++)
        {
            plainLadder.Add(plainPoints[i].ToJson($"plain-vq {PlainLadder[i]}"));
        }

        result["plain_vq_points"] = plainLadder;
        var plainAtDefault = InterpolateError(plainPoints, defaultPoint.BitsPerToken);
        result["plain_vq_relative_mse_at_default_rate"] = plainAtDefault;
        result["aligned_beats_plain_at_default_rate"] = defaultPoint.RelativeMse < plainAtDefault;
        return Task.FromResult(result);
    }

    private static float[] Generate(VitActivationGenerator generator, int firstSeed, int frames)
    {
        var data = new float[frames * Tokens * Dimension];
        Parallel.For(0, frames, i => generator.Generate(firstSeed + i, data.AsSpan(i * Tokens * Dimension, Tokens * Dimension)));
        return data;
    }

    private static RatePoint Evaluate(IFeatureCodec codec, float[] evaluation, int frames)
    {
        var quality = new FeatureQuality(Dimension);
        var frame = new byte[codec.GetMaxFrameLength(Tokens, Dimension)];
        var decoded = new float[Tokens * Dimension];
        long bytes = 0;
        for (var i = 0; i < frames; i++)
        {
            var features = evaluation.AsSpan(i * Tokens * Dimension, Tokens * Dimension);
            var length = codec.Encode(features, Tokens, Dimension, frame);
            bytes += length;
            if (codec.Decode(frame.AsSpan(0, length), decoded, out _) != FrameStatus.Ok)
            {
                throw new InvalidOperationException($"{codec.Name} could not decode its own frame.");
            }

            quality.Add(features, decoded);
        }

        var frameBytes = (double)bytes / frames;
        return new RatePoint(frameBytes, frameBytes * 8 / Tokens, quality.RelativeMse, quality.CosineMean);
    }

    private static double InterpolateError(List<RatePoint> points, double bits)
    {
        var sorted = points.OrderBy(p => p.BitsPerToken).ToList();
        var upper = sorted.FindIndex(p => p.BitsPerToken >= bits);
        if (upper < 0)
        {
            // Above every plain point: no honest estimate without extrapolating.
            return double.NaN;
        }

        if (upper == 0)
        {
            // Below every plain point: plain VQ at a lower rate would do worse than this, so this favours plain VQ.
            return sorted[0].RelativeMse;
        }

        var (a, b) = (sorted[upper - 1], sorted[upper]);
        var fraction = (bits - a.BitsPerToken) / (b.BitsPerToken - a.BitsPerToken);
        return Math.Exp(Math.Log(a.RelativeMse) + (fraction * (Math.Log(b.RelativeMse) - Math.Log(a.RelativeMse))));
    }

    private static double Agreement(int[] a, int[] b)
    {
        var same = 0;
        for (var i = 0; i < a.Length; i++)
        {
            same += a[i] == b[i] ? 1 : 0;
        }

        return (double)same / a.Length;
    }

    private static long MeasureAllocation(Action action)
    {
        action();
        action();
        var before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static double VisionBlockMilliseconds(BenchmarkContext context, float[] input)
    {
        context.Log.Info("building and timing one ViT-L/14 block in ONNX Runtime (1 thread)");
        var model = VitBlockModel.Create(Tokens, Dimension, heads: 16, mlpDim: 4096, seed: 1);
        using var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        using var session = new InferenceSession(Google.Protobuf.MessageExtensions.ToByteArray(model), options);
        using var runOptions = new RunOptions();
        using var value = OrtValue.CreateTensorValueFromMemory(input, [1, Tokens, Dimension]);
        var inputName = session.InputNames[0];
        var outputName = session.OutputNames[0];
        return Timing.MedianMilliseconds(
            () =>
            {
                using var outputs = session.Run(runOptions, [inputName], [value], [outputName]);
            },
            2,
            context.Quick ? 5 : 11);
    }

    private sealed record RatePoint(double FrameBytes, double BitsPerToken, double RelativeMse, double CosineMean)
    {
        public JsonObject ToJson(string name) => new()
        {
            ["name"] = name,
            ["bits_per_token_all_in"] = BitsPerToken,
            ["frame_bytes"] = FrameBytes,
            ["compression_vs_fp16"] = Tokens * Dimension * 2 / FrameBytes,
            ["relative_mse"] = RelativeMse,
            ["cosine_mean"] = CosineMean,
        };
    }
}
