using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeCloudVlm.Contracts.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace EdgeCloudVlm.Benchmarks.EndToEnd;

/// <summary>What the suite hands the worker it starts inside the namespace.</summary>
internal sealed record EndToEndSpec(double[] Rates, int FramesPerPath, int WarmupFrames, string ModelFolder, int Port, EndToEndPhoto[] Photos);

/// <summary>A camera frame: a photograph file and the question asked about it.</summary>
internal sealed record EndToEndPhoto(string Path, string Question);

/// <summary>
/// The part of suite <c>e2e</c> that runs inside the network namespace: hosts the cloud on the namespace's loopback,
/// loads the edge half, and for each rate shapes the loopback, opens one ingest session per path and sends the same
/// frames both ways, alternating which path goes first.
/// </summary>
internal static class EndToEndWorker
{
    /// <summary>Set (to the spec file) on the worker process; its absence means the suite's outer half runs.</summary>
    public const string SpecVariable = "ECV_E2E_WORKER_SPEC";

    public static async Task<JsonObject> RunAsync(string specPath, BenchmarkLog log, CancellationToken cancellationToken)
    {
        EndToEndSpec spec = JsonSerializer.Deserialize<EndToEndSpec>(await File.ReadAllTextAsync(specPath, cancellationToken))
            ?? throw new InvalidDataException($"empty spec {specPath}");
        CameraFrame[] frames = spec.Photos.Select(CameraFrame.Load).ToArray();
        log.Info($"worker: {frames.Length} photographs, JPEG {frames.Average(f => f.Jpeg.Length) / 1024:F0} KiB mean "
            + $"({frames.Min(f => f.Jpeg.Length) / 1024}..{frames.Max(f => f.Jpeg.Length) / 1024} KiB), "
            + $"{frames.Average(f => (double)f.Width * f.Height) / 1e6:F2} megapixels mean");

        await using InProcessCloud cloud = await InProcessCloud.StartAsync(spec.ModelFolder, spec.Port, cancellationToken);
        await IngestLink.WaitUntilServingAsync(cloud.Address, TimeSpan.FromMinutes(3), cancellationToken);
        using SplitEdge edge = SplitEdge.Load(spec.ModelFolder);
        log.Info($"worker: cloud serving on {cloud.Address}; edge codebook {edge.CodebookId[..12]}, split tensor {edge.Tokens} x {edge.HiddenDim}");

        var rates = new JsonArray();
        foreach (double mbit in spec.Rates)
        {
            rates.Add(await MeasureRateAsync(mbit, spec, frames, cloud, edge, log, cancellationToken));
        }

        return new JsonObject
        {
            ["rates"] = rates,
            ["photos"] = frames.Length,
            ["jpeg_bytes_mean"] = frames.Average(f => f.Jpeg.Length),
            ["jpeg_bytes_p50"] = Timing.Percentile(frames.Select(f => (double)f.Jpeg.Length).ToArray(), 0.5),
            ["megapixels_mean"] = frames.Average(f => (double)f.Width * f.Height) / 1e6,
            ["fp16_bytes"] = edge.Fp16Bytes,
            ["codebook_id"] = edge.CodebookId,
        };
    }

    private static async Task<JsonObject> MeasureRateAsync(
        double mbit, EndToEndSpec spec, CameraFrame[] frames, InProcessCloud cloud, SplitEdge edge, BenchmarkLog log, CancellationToken cancellationToken)
    {
        string qdisc = TokenBucket.Apply(mbit);
        log.Info($"{mbit} Mbit/s: {qdisc}");
        long sentBefore = TokenBucket.SentBytes();
        var split = new List<Sample>();
        var cloudOnly = new List<Sample>();
        await using (IngestLink splitLink = await IngestLink.OpenAsync(cloud.Address, cloud.EdgeKey, Hello("e2e-split", edge), cancellationToken))
        await using (IngestLink cloudLink = await IngestLink.OpenAsync(cloud.Address, cloud.EdgeKey, Hello("e2e-cloud-only", edge), cancellationToken))
        {
            for (var i = 0; i < spec.WarmupFrames + spec.FramesPerPath; i++)
            {
                CameraFrame frame = frames[i % frames.Length];
                string id = $"{mbit}-{i}-{Guid.NewGuid():N}";
                // Alternate which path goes first, so drift in the machine's load falls on both alike.
                Sample a, b;
                if (i % 2 == 0)
                {
                    a = await SendSplitAsync(splitLink, edge, frame, id, cancellationToken);
                    b = await SendCloudOnlyAsync(cloudLink, edge.ModelId, frame, id, cancellationToken);
                }
                else
                {
                    b = await SendCloudOnlyAsync(cloudLink, edge.ModelId, frame, id, cancellationToken);
                    a = await SendSplitAsync(splitLink, edge, frame, id, cancellationToken);
                }

                if (i >= spec.WarmupFrames)
                {
                    split.Add(a);
                    cloudOnly.Add(b);
                }
            }
        }

        long sent = TokenBucket.SentBytes() - sentBefore;
        double splitP50 = Percentile(split, 0.5);
        double cloudP50 = Percentile(cloudOnly, 0.5);
        double cloudBytes = cloudOnly.Average(s => s.PayloadBytes);
        log.Info($"{mbit} Mbit/s: split p50 {splitP50:F1} ms, cloud-only p50 {cloudP50:F1} ms, speedup {cloudP50 / splitP50:F2}; "
            + $"bytes {split.Average(s => s.PayloadBytes):F0} vs {cloudBytes:F0}");
        return new JsonObject
        {
            ["mbit"] = mbit,
            ["split_ms_p50"] = splitP50,
            ["split_ms_p99"] = Percentile(split, 0.99),
            ["cloud_only_ms_p50"] = cloudP50,
            ["cloud_only_ms_p99"] = Percentile(cloudOnly, 0.99),
            ["speedup"] = cloudP50 / splitP50,
            ["bytes_split_mean"] = split.Average(s => s.PayloadBytes),
            ["bytes_cloud_only_mean"] = cloudBytes,
            ["frames_per_path"] = split.Count,
            ["split_ms_mean"] = split.Average(s => s.Ms),
            ["cloud_only_ms_mean"] = cloudOnly.Average(s => s.Ms),
            ["split_breakdown_ms_mean"] = Breakdown(split),
            ["cloud_only_breakdown_ms_mean"] = Breakdown(cloudOnly),
            ["cloud_only_payload_ms_at_rate"] = cloudBytes * 8 / (mbit * 1e3),
            ["answers_agree"] = split.Zip(cloudOnly).Count(p => p.First.Answer == p.Second.Answer) / (double)split.Count,
            ["qdisc"] = qdisc,
            // Everything that crossed the shaped loopback at this rate, both paths and both directions, warm-up included.
            ["qdisc_sent_bytes"] = sent,
        };
    }

    private static async Task<Sample> SendSplitAsync(IngestLink link, SplitEdge edge, CameraFrame camera, string id, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        (byte[] payload, EdgeStages stages) = edge.Encode(camera.Jpeg, cancellationToken);
        var frame = NewFrame("split-" + id, "e2e-split", edge.ModelId, camera.Question);
        frame.CodebookId = edge.CodebookId;
        frame.CodecFrame = UnsafeByteOperations.UnsafeWrap(payload);
        frame.Fp16EquivalentBytes = (ulong)edge.Fp16Bytes;
        Final final = await link.AskAsync(frame, cancellationToken);
        return new Sample(Stopwatch.GetElapsedTime(start).TotalMilliseconds, payload.Length, final.Text, stages, final.Timings);
    }

    private static async Task<Sample> SendCloudOnlyAsync(IngestLink link, string modelId, CameraFrame camera, string id, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        var frame = NewFrame("cloud-" + id, "e2e-cloud-only", modelId, camera.Question);
        frame.FallbackJpeg = UnsafeByteOperations.UnsafeWrap(camera.Jpeg);
        Final final = await link.AskAsync(frame, cancellationToken);
        return new Sample(Stopwatch.GetElapsedTime(start).TotalMilliseconds, camera.Jpeg.Length, final.Text, null, final.Timings);
    }

    private static Frame NewFrame(string id, string device, string model, string question) => new()
    {
        FrameId = id,
        DeviceId = device,
        ModelId = model,
        Question = question,
        CapturedAt = Timestamp.FromDateTime(DateTime.UtcNow),
    };

    private static Hello Hello(string device, SplitEdge edge)
    {
        var hello = new Hello { DeviceId = device, AgentVersion = "e2e-benchmark", MaxInFlight = 1 };
        hello.ModelIds.Add(edge.ModelId);
        hello.CodebookIds.Add(edge.CodebookId);
        return hello;
    }

    private static JsonObject Breakdown(List<Sample> samples)
    {
        double Mean(Func<Sample, double> f) => samples.Average(f);
        var result = new JsonObject();
        if (samples[0].Edge is not null)
        {
            result["edge_preprocess"] = Mean(s => s.Edge!.Value.PreprocessMs);
            result["edge_vision_head"] = Mean(s => s.Edge!.Value.VisionMs);
            result["edge_encode"] = Mean(s => s.Edge!.Value.EncodeMs);
        }

        result["cloud_queue"] = Mean(s => Ms(s.Cloud?.Queue));
        result["cloud_vision"] = Mean(s => Ms(s.Cloud?.Vision));
        result["cloud_prefill"] = Mean(s => Ms(s.Cloud?.Prefill));
        result["cloud_decode"] = Mean(s => Ms(s.Cloud?.Decode));
        result["cloud_total"] = Mean(s => Ms(s.Cloud?.Total));
        // Everything else: the payload and the answer crossing the shaped link, HTTP/2 and gRPC framing, and the
        // cloud's work outside the engine (frame checks, image header, scheduling).
        result["link_and_rpc"] = Mean(s => s.Ms - (s.Edge?.TotalMs ?? 0) - Ms(s.Cloud?.Total));
        return result;
    }

    private static double Ms(Duration? duration) => duration is null ? 0 : duration.ToTimeSpan().TotalMilliseconds;

    private static double Percentile(List<Sample> samples, double quantile) =>
        Timing.Percentile(samples.Select(s => s.Ms).ToArray(), quantile);

    private sealed record Sample(double Ms, long PayloadBytes, string Answer, EdgeStages? Edge, Timings? Cloud);

    /// <summary>A photograph as the camera hands it over: a JPEG at the original resolution (the file itself when it is
    /// one, else encoded at quality 90 as the edge agent does), prepared before any clock starts.</summary>
    private sealed record CameraFrame(byte[] Jpeg, int Width, int Height, string Question)
    {
        public static CameraFrame Load(EndToEndPhoto photo)
        {
            byte[] bytes = File.ReadAllBytes(photo.Path);
            using Image<Rgb24> image = Image.Load<Rgb24>(bytes, out SixLabors.ImageSharp.Formats.IImageFormat format);
            if (format is not JpegFormat)
            {
                using var stream = new MemoryStream();
                image.SaveAsJpeg(stream, new JpegEncoder { Quality = 90 });
                bytes = stream.ToArray();
            }

            return new CameraFrame(bytes, image.Width, image.Height, photo.Question);
        }
    }
}
