using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Contracts.V1;
using EdgeCloudVlm.Edge.Codebooks;
using EdgeCloudVlm.Edge.Hosting;
using EdgeCloudVlm.Edge.Pipeline;
using EdgeCloudVlm.Edge.Results;
using EdgeCloudVlm.Edge.Uplink;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.Edge.Cli;

/// <summary>
/// <c>ask &lt;image&gt; &lt;question&gt; [--json] [--timeout 60s]</c>: one frame through the same encoder as the daemon
/// and one ingest session, no spool. Prints the answer, the bytes on the wire against the fp16 tensor and the JPEG of
/// the image, and where the time went.
/// </summary>
internal static class AskCommand
{
    public static Command Create()
    {
        var image = new Argument<string>("image") { Description = "Image file (JPEG, PNG, WebP or BMP)." };
        var question = new Argument<string>("question") { Description = "The question about the image." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var timeout = new Option<TimeSpan>("--timeout") { Description = "How long to wait for the answer.", DefaultValueFactory = _ => TimeSpan.FromSeconds(60) };
        var command = new Command("ask", "Ask one question about one image through the cloud and print the answer with its byte and time accounting.")
        {
            image, question, json, timeout,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            TextWriter output = result.InvocationConfiguration.Output;
            TextWriter error = result.InvocationConfiguration.Error;
            IHost host;
            try
            {
                host = CliConfiguration.BuildOneShotHost(result);
            }
            catch (Exception ex) when (ex is ArgumentException or FileNotFoundException or InvalidDataException)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                return ExitCodes.InputError;
            }

            using (host)
            {
                return await RunAsync(host, result.GetRequiredValue(image), result.GetRequiredValue(question), result.GetValue(timeout),
                    result.GetValue(json), output, error, cancellationToken);
            }
        });
        return command;
    }

    internal static async Task<int> RunAsync(IHost host, string imagePath, string question, TimeSpan timeout, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        byte[] bytes;
        VisionHead head;
        try
        {
            bytes = await File.ReadAllBytesAsync(imagePath, cancellationToken);
            head = host.Get<VisionHead>();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or OptionsValidationException or InvalidOperationException or Inference.Manifest.ModelLoadException)
        {
            await error.WriteLineAsync($"error: {ex.Message}");
            return ExitCodes.InputError;
        }

        IngestConnector connector;
        try
        {
            connector = host.Get<IngestConnector>();
        }
        catch (OptionsValidationException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}");
            return ExitCodes.InputError;
        }

        CodebookStore store = host.Get<CodebookStore>();
        CodecOptions codecOptions = host.Get<IOptions<CodecOptions>>().Value;
        TimeProvider time = host.Get<TimeProvider>();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            if (!store.LoadLocal(head.Manifest) && codecOptions.PullMissing)
            {
                await PullAsync(store, head, connector, codecOptions, host.Get<IOptions<EdgeOptions>>().Value, deadline.Token);
            }
        }
        catch (CodebookRejectedException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}");
            return ExitCodes.CodebookRefused;
        }
        catch (RpcException ex)
        {
            await error.WriteLineAsync($"warning: no codebook could be pulled ({UplinkErrors.Describe(ex, connector.Address).Message}); sending JPEG if allowed");
        }

        FrameEncoder encoder = host.Get<FrameEncoder>();
        encoder.MeasureJpeg = true;
        long start = time.GetTimestamp();
        var request = new CaptureRequest
        {
            FrameId = "ask-" + Guid.CreateVersion7().ToString("N"),
            Image = bytes,
            Question = question,
            Source = "ask",
            CapturedAt = time.GetUtcNow(),
        };
        EncodeResult encoded = encoder.Encode(request, deadline.Token);
        if (encoded.Frame is not { } frame)
        {
            await error.WriteLineAsync($"error: {encoded.FailureReason}");
            return ExitCodes.InputError;
        }

        TimeSpan edgeTime = time.GetElapsedTime(start);
        var hello = new Hello { DeviceId = frame.DeviceId, AgentVersion = EdgeOptions.AgentVersion, MaxInFlight = 1 };
        hello.ModelIds.Add(frame.ModelId);
        hello.CodebookIds.AddRange(store.HeldIds());

        IngestSession session;
        try
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
            attempt.CancelAfter(host.Get<IOptions<UplinkOptions>>().Value.ConnectTimeout);
            session = await connector.ConnectAsync(hello, attempt.Token, deadline.Token);
        }
        catch (Exception ex) when (ex is RpcException or UplinkSessionException or OperationCanceledException or HttpRequestException)
        {
            (State.LinkState state, string message) = UplinkErrors.Describe(ex is OperationCanceledException ? new UplinkSessionException("no HelloAck in time") : ex, connector.Address);
            await error.WriteLineAsync($"error: {message}");
            return state == State.LinkState.Unauthorized ? ExitCodes.AuthenticationFailed : ExitCodes.Unreachable;
        }

        using (session)
        {
            long sendStart = time.GetTimestamp();
            CloudEvent? outcome = null;
            try
            {
                await session.WriteAsync(new EdgeMessage { Frame = frame }, deadline.Token);
                while (outcome is null && await session.MoveNextAsync(deadline.Token))
                {
                    CloudEvent cloudEvent = session.Current;
                    if (cloudEvent.KindCase is CloudEvent.KindOneofCase.Final or CloudEvent.KindOneofCase.Error
                        && (cloudEvent.FrameId == frame.FrameId || string.IsNullOrEmpty(cloudEvent.FrameId)))
                    {
                        outcome = cloudEvent;
                    }
                }

                // Half-close and let the cloud end the call, so the stream closes cleanly rather than being reset.
                await session.CompleteAsync();
                using var drain = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
                drain.CancelAfter(TimeSpan.FromSeconds(2));
                try
                {
                    while (await session.MoveNextAsync(drain.Token))
                    {
                    }
                }
                catch (Exception ex) when (ex is RpcException or OperationCanceledException)
                {
                    // The answer is in hand; how the call ends does not change it.
                }
            }
            catch (Exception ex) when (ex is RpcException or OperationCanceledException or IOException)
            {
                (State.LinkState state, string message) = UplinkErrors.Describe(ex is OperationCanceledException ? new UplinkSessionException($"no answer within {timeout}") : ex, connector.Address);
                await error.WriteLineAsync($"error: {message}");
                return state == State.LinkState.Unauthorized ? ExitCodes.AuthenticationFailed : ExitCodes.Unreachable;
            }

            TimeSpan roundTrip = time.GetElapsedTime(sendStart);
            TimeSpan total = time.GetElapsedTime(start);
            if (outcome is null)
            {
                await error.WriteLineAsync("error: the cloud closed the stream without answering");
                return ExitCodes.Unreachable;
            }

            var report = new AskReport(frame, encoded, outcome, edgeTime, roundTrip, total);
            await output.WriteLineAsync(json ? report.ToJson() : report.ToText());
            return outcome.KindCase == CloudEvent.KindOneofCase.Final ? ExitCodes.Success : ExitCodes.FrameFailed;
        }
    }

    private static async Task PullAsync(CodebookStore store, VisionHead head, IngestConnector connector, CodecOptions options, EdgeOptions edge, CancellationToken cancellationToken)
    {
        var puller = new CodebookPuller(connector.Codebooks);
        var call = new CallOptions(connector.CredentialHeaders(), cancellationToken: cancellationToken);
        CodebookId? id = store.WantedId(head.Manifest)
            ?? await puller.ChooseAsync(string.IsNullOrWhiteSpace(edge.ModelId) ? head.Manifest.Name : edge.ModelId, head.HiddenDim, call);
        if (id is null)
        {
            return;
        }

        (Codebook codebook, string path) = await puller.PullAsync(id.Value, options.Directory, call);
        store.Activate(codebook, head.HiddenDim, path);
    }

    /// <summary>What <c>ask</c> prints.</summary>
    private sealed record AskReport(Frame Frame, EncodeResult Encoded, CloudEvent Outcome, TimeSpan EdgeTime, TimeSpan RoundTrip, TimeSpan Total)
    {
        private bool Codec => Frame.PayloadCase == Frame.PayloadOneofCase.CodecFrame;

        private long WireBytes => Codec ? Frame.CodecFrame.Length : Frame.FallbackJpeg.Length;

        public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["frame_id"] = Frame.FrameId,
            ["status"] = Outcome.KindCase == CloudEvent.KindOneofCase.Final ? "answered" : "failed",
            ["answer"] = Outcome.Final?.Text,
            ["error"] = Outcome.Error is { } e ? new Dictionary<string, object?> { ["code"] = ResultDispatcher.ErrorCodeName(e.Code), ["message"] = e.Message } : null,
            ["payload"] = Codec ? "codec" : "jpeg",
            ["fallback_reason"] = Encoded.FallbackReason,
            ["codebook_id"] = Codec ? Frame.CodebookId : null,
            ["bytes_on_wire"] = WireBytes,
            ["fp16_equivalent_bytes"] = (long)Frame.Fp16EquivalentBytes,
            ["jpeg_bytes"] = Encoded.JpegBytes,
            ["latency_ms"] = Ms(Total),
            ["edge_ms"] = new Dictionary<string, double>
            {
                ["decode"] = Ms(Encoded.Timings.Decode),
                ["preprocess"] = Ms(Encoded.Timings.Preprocess),
                ["vision"] = Ms(Encoded.Timings.Vision),
                ["encode"] = Ms(Encoded.Timings.Encode),
                ["total"] = Ms(EdgeTime),
            },
            ["round_trip_ms"] = Ms(RoundTrip),
            ["cloud_ms"] = Outcome.Final?.Timings is { } t ? new Dictionary<string, double?>
            {
                ["queue"] = t.Queue is null ? null : Ms(t.Queue.ToTimeSpan()),
                ["vision"] = t.Vision is null ? null : Ms(t.Vision.ToTimeSpan()),
                ["prefill"] = t.Prefill is null ? null : Ms(t.Prefill.ToTimeSpan()),
                ["decode"] = t.Decode is null ? null : Ms(t.Decode.ToTimeSpan()),
                ["total"] = t.Total is null ? null : Ms(t.Total.ToTimeSpan()),
            } : null,
        });

        public string ToText()
        {
            var text = new System.Text.StringBuilder();
            CultureInfo c = CultureInfo.InvariantCulture;
            text.AppendLine(Outcome.Final is { } final
                ? string.Create(c, $"answer: {final.Text}")
                : string.Create(c, $"failed: {ResultDispatcher.ErrorCodeName(Outcome.Error.Code)}: {Outcome.Error.Message}"));
            if (Codec)
            {
                double ratio = (double)Frame.Fp16EquivalentBytes / Math.Max(1, WireBytes);
                text.AppendLine(string.Create(c, $"bytes on the wire: {WireBytes} (AlignedVQ frame, codebook {Frame.CodebookId[..12]}…; fp16 split tensor {Frame.Fp16EquivalentBytes} bytes, {ratio:F1}x smaller)"));
            }
            else
            {
                text.AppendLine(string.Create(c, $"bytes on the wire: {WireBytes} (JPEG fallback: {Encoded.FallbackReason})"));
            }

            if (Encoded.JpegBytes is { } jpeg)
            {
                text.AppendLine(string.Create(c, $"JPEG of the image: {jpeg} bytes ({(double)jpeg / Math.Max(1, WireBytes):F1}x the bytes on the wire)"));
            }

            text.Append(string.Create(c,
                $"latency: {Ms(Total):F1} ms (edge {Ms(EdgeTime):F1}: decode {Ms(Encoded.Timings.Decode):F2}, preprocess {Ms(Encoded.Timings.Preprocess):F2}, vision {Ms(Encoded.Timings.Vision):F2}, encode {Ms(Encoded.Timings.Encode):F2}; cloud round trip {Ms(RoundTrip):F1})"));
            return text.ToString();
        }

        private static double Ms(TimeSpan t) => Math.Round(t.TotalMilliseconds, 3);
    }
}
