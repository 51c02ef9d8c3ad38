using System.Numerics.Tensors;
using System.Text.Json.Nodes;
using EdgeCloudVlm.Benchmarks.Photos;
using EdgeCloudVlm.Codec;
using EdgeCloudVlm.Codec.Baselines;
using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Codec.Frames;
using EdgeCloudVlm.Onnx;
using EdgeCloudVlm.Onnx.Splitting;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace EdgeCloudVlm.Benchmarks.Suites;

/// <summary>
/// Suite <c>resnet-fidelity</c>: compression of real pretrained features. The pretrained ResNet18 from NuGet package
/// Microsoft.ML.DnnImageFeaturizer.ResNet18 is cut by the product's splitter after its second residual stage
/// (128 channels at 28 x 28; each spatial position is one token of 128 values). Codebooks are trained on the split
/// features of one third of the photographs and evaluated on crops and flips of the other two thirds; the figures
/// compare the final 512-d embeddings with and without compression.
/// </summary>
internal sealed class ResNetFidelitySuite : IBenchmarkSuite
{
    private const string SplitTensor = "ReLU315_Output_0";
    private const int ImageSide = 224;
    private const int Channels = 128;
    private const int Tokens = 28 * 28;
    private const int CalibrationTokenLimit = 60_000;

    private static readonly string[] RateLadder =
    [
        "norm2x8-center-pca32-g1-s1-k256",
        "norm2x16-center-g1-s2-k64",
        "norm2x16-center-g1-s2-k256",
        "norm2x16-center-g2-s2-k256",
        "norm4x32-center-g4-s3-k256",
    ];

    private static readonly string[] PlainLadder = ["raw-g1-s2-k256", "raw-g2-s2-k256"];

    public Task<JsonObject> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var log = context.Log;
        var photos = PhotoCorpus.Load(log);
        var calibrationPhotos = photos.Where((_, i) => i % 3 == 0).ToList();
        var evaluationPhotos = photos.Where((_, i) => i % 3 != 0).ToList();
        var variants = context.Quick ? 4 : 8;
        log.Info($"{photos.Count} photographs: {calibrationPhotos.Count} for codebooks, {evaluationPhotos.Count} for evaluation, {variants} crops/flips each");

        using var network = new SplitResNet();
        var calibration = CollectCalibration(network, calibrationPhotos, variants, cancellationToken);
        log.Info($"calibration: {calibration.Length / Channels} tokens (sampled)");

        var evaluation = new List<float[]>();
        foreach (var photo in evaluationPhotos)
        {
            foreach (var pixels in Variants(photo, variants))
            {
                cancellationToken.ThrowIfCancellationRequested();
                evaluation.Add(ToTokens(network.Head(pixels)));
            }
        }

        var reference = evaluation.Select(network.Tail).ToArray();
        log.Info($"evaluation: {evaluation.Count} images");

        JsonObject Measure(IFeatureCodec codec, string name)
        {
            log.Info(name);
            var frame = new byte[codec.GetMaxFrameLength(Tokens, Channels)];
            var decoded = new float[Tokens * Channels];
            var embeddings = new float[evaluation.Count][];
            long bytes = 0;
            for (var i = 0; i < evaluation.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var length = codec.Encode(evaluation[i], Tokens, Channels, frame);
                bytes += length;
                if (codec.Decode(frame.AsSpan(0, length), decoded, out _) != FrameStatus.Ok)
                {
                    throw new InvalidOperationException($"{name} could not decode its own frame.");
                }

                embeddings[i] = network.Tail(decoded);
            }

            var frameBytes = (double)bytes / evaluation.Count;
            return new JsonObject
            {
                ["name"] = name,
                ["bits_per_token_all_in"] = frameBytes * 8 / Tokens,
                ["frame_bytes"] = frameBytes,
                ["compression_vs_fp16"] = Tokens * Channels * 2 / frameBytes,
                ["embedding_cosine_mean"] = CosineMean(reference, embeddings),
                ["top1_neighbor_agreement"] = NeighborAgreement(reference, embeddings),
            };
        }

        Codebook Train(string config)
        {
            log.Info($"training {config}");
            return CodebookTrainer.Train(
                calibration,
                Channels,
                AlignedVqConfig.Parse(config),
                new CodebookTrainingOptions { Seed = 1, Iterations = context.Quick ? 10 : 25, ModelId = "resnet18", SplitName = SplitTensor },
                cancellationToken: cancellationToken);
        }

        var points = new JsonArray();
        foreach (var config in context.Quick ? RateLadder.Take(3) : RateLadder)
        {
            points.Add(Measure(new AlignedVqCodec(Train(config)), config));
        }

        var plain = new JsonArray();
        foreach (var config in context.Quick ? PlainLadder.Take(1) : PlainLadder)
        {
            plain.Add(Measure(new AlignedVqCodec(Train(config)), $"plain-vq {config}"));
        }

        return Task.FromResult(new JsonObject
        {
            ["model"] = "ResNet18 (Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1)",
            ["split_tensor"] = SplitTensor,
            ["tokens"] = Tokens,
            ["dimension"] = Channels,
            ["fp16_bytes"] = Tokens * Channels * 2,
            ["photographs"] = photos.Count,
            ["calibration_photographs"] = calibrationPhotos.Count,
            ["calibration_images"] = calibrationPhotos.Count * variants,
            ["evaluation_photographs"] = evaluationPhotos.Count,
            ["evaluation_images"] = evaluation.Count,
            ["points"] = points,
            ["plain_vq_points"] = plain,
            ["baselines"] = new JsonArray
            {
                Measure(new Float16Codec(), "fp16"),
                Measure(new PerTokenIntCodec(8), "int8-per-token"),
                Measure(new PerTokenIntCodec(4), "int4-per-token"),
            },
        });
    }

    private static float[] CollectCalibration(SplitResNet network, IReadOnlyList<string> photos, int variants, CancellationToken cancellationToken)
    {
        var all = new List<float[]>();
        foreach (var photo in photos)
        {
            foreach (var pixels in Variants(photo, variants))
            {
                cancellationToken.ThrowIfCancellationRequested();
                all.Add(ToTokens(network.Head(pixels)));
            }
        }

        // An even stride over all tokens keeps every image and every position represented.
        var total = all.Count * Tokens;
        var stride = Math.Max(1, (total + CalibrationTokenLimit - 1) / CalibrationTokenLimit);
        var sample = new float[((total + stride - 1) / stride) * Channels];
        var written = 0;
        for (var t = 0; t < total; t += stride)
        {
            all[t / Tokens].AsSpan((t % Tokens) * Channels, Channels).CopyTo(sample.AsSpan(written * Channels));
            written++;
        }

        return sample;
    }

    /// <summary>Square crops (whole shorter side at the centre, three-quarter corners, a centre zoom), each also
    /// mirrored, resized to 224 x 224: RGB values 0..255 in NCHW order, as the featurizer's preprocessing expects.</summary>
    private static IEnumerable<float[]> Variants(string path, int count)
    {
        using var photo = Image.Load<Rgb24>(path);
        photo.Mutate(x => x.AutoOrient());
        var side = Math.Min(photo.Width, photo.Height);
        var corner = side * 3 / 4;
        var zoom = side * 3 / 5;
        Rectangle[] crops =
        [
            new((photo.Width - side) / 2, (photo.Height - side) / 2, side, side),
            new(0, 0, corner, corner),
            new(photo.Width - corner, photo.Height - corner, corner, corner),
            new((photo.Width - zoom) / 2, (photo.Height - zoom) / 2, zoom, zoom),
        ];
        for (var i = 0; i < count; i++)
        {
            var crop = crops[(i / 2) % crops.Length];
            var mirror = i % 2 == 1;
            using var image = photo.Clone(x =>
            {
                x.Crop(crop).Resize(new ResizeOptions { Size = new Size(ImageSide, ImageSide), Mode = ResizeMode.Stretch, Sampler = KnownResamplers.Triangle });
                if (mirror)
                {
                    x.Flip(FlipMode.Horizontal);
                }
            });
            yield return ToPlanes(image);
        }
    }

    private static float[] ToPlanes(Image<Rgb24> image)
    {
        var planes = new float[3 * ImageSide * ImageSide];
        const int Plane = ImageSide * ImageSide;
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < row.Length; x++)
                {
                    var at = (y * ImageSide) + x;
                    planes[at] = row[x].R;
                    planes[Plane + at] = row[x].G;
                    planes[(2 * Plane) + at] = row[x].B;
                }
            }
        });
        return planes;
    }

    /// <summary>[128, 28, 28] channel planes to 784 tokens of 128 values, the layout the codec takes.</summary>
    private static float[] ToTokens(float[] planes)
    {
        var tokens = new float[Tokens * Channels];
        for (var c = 0; c < Channels; c++)
        {
            for (var p = 0; p < Tokens; p++)
            {
                tokens[(p * Channels) + c] = planes[(c * Tokens) + p];
            }
        }

        return tokens;
    }

    private static double CosineMean(float[][] reference, float[][] embeddings)
    {
        double sum = 0;
        for (var i = 0; i < reference.Length; i++)
        {
            sum += TensorPrimitives.CosineSimilarity(reference[i], embeddings[i]);
        }

        return sum / reference.Length;
    }

    /// <summary>Share of images whose nearest other evaluation image (cosine, uncompressed embeddings as the gallery)
    /// is the same with the compressed embedding as with the uncompressed one.</summary>
    private static double NeighborAgreement(float[][] reference, float[][] embeddings)
    {
        var agree = 0;
        for (var i = 0; i < reference.Length; i++)
        {
            if (Nearest(reference, reference[i], i) == Nearest(reference, embeddings[i], i))
            {
                agree++;
            }
        }

        return (double)agree / reference.Length;
    }

    private static int Nearest(float[][] gallery, float[] query, int exclude)
    {
        var best = -1;
        var bestSimilarity = float.NegativeInfinity;
        for (var j = 0; j < gallery.Length; j++)
        {
            if (j == exclude)
            {
                continue;
            }

            var similarity = TensorPrimitives.CosineSimilarity(gallery[j], query);
            if (similarity > bestSimilarity)
            {
                bestSimilarity = similarity;
                best = j;
            }
        }

        return best;
    }

    /// <summary>The featurizer's preprocessing model, and ResNet18 cut into head and tail at <see cref="SplitTensor"/>.</summary>
    private sealed class SplitResNet : IDisposable
    {
        private readonly InferenceSession _preprocess;
        private readonly InferenceSession _head;
        private readonly InferenceSession _tail;
        private readonly RunOptions _run = new();

        public SplitResNet()
        {
            var folder = Path.Combine(AppContext.BaseDirectory, "DnnImageModels");
            var whole = OnnxModelFile.Load(Path.Combine(folder, "ResNet18Onnx", "ResNet18.onnx"));
            var split = OnnxModelSplitter.Split(whole, SplitTensor);
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
            _preprocess = new InferenceSession(Path.Combine(folder, "ResNetPrepOnnx", "ResNetPreprocess.onnx"), options);
            _head = new InferenceSession(split.Head.ToByteArray(), options);
            _tail = new InferenceSession(split.Tail.ToByteArray(), options);
        }

        /// <summary>RGB planes in, split feature planes [128, 28, 28] out.</summary>
        public float[] Head(float[] pixels)
        {
            var prepared = Run(_preprocess, pixels, [1, 3, ImageSide, ImageSide]);
            return Run(_head, prepared, [1, 3, ImageSide, ImageSide]);
        }

        /// <summary>Split tokens [784, 128] in, the 512-d embedding out.</summary>
        public float[] Tail(float[] tokens)
        {
            var planes = new float[Tokens * Channels];
            for (var p = 0; p < Tokens; p++)
            {
                for (var c = 0; c < Channels; c++)
                {
                    planes[(c * Tokens) + p] = tokens[(p * Channels) + c];
                }
            }

            return Run(_tail, planes, [1, Channels, 28, 28]);
        }

        public void Dispose()
        {
            _preprocess.Dispose();
            _head.Dispose();
            _tail.Dispose();
            _run.Dispose();
        }

        private float[] Run(InferenceSession session, float[] input, long[] shape)
        {
            using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
            using var outputs = session.Run(_run, [session.InputNames[0]], [value], [session.OutputNames[0]]);
            return outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }
    }
}
