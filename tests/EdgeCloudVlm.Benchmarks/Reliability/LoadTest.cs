using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeCloudVlm.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace EdgeCloudVlm.Benchmarks.Reliability;

/// <summary>
/// Load on a real cloud process: ingest streams (one connection per device, each with one frame in flight, every frame
/// a new id) and REST clients (chat completions with an image) for a fixed time. Refusals the service announces (HTTP
/// 429, ingest OVERLOADED, RESOURCE_EXHAUSTED) are counted apart; anything else that is not an answer is unexpected.
/// </summary>
internal sealed class LoadTest(CloudService cloud, DemoFrames demo, BenchmarkLog log)
{
    private readonly ConcurrentQueue<double> _latencies = new();
    private readonly ConcurrentQueue<string> _unexpected = new();
    private long _requests;
    private long _rejected;

    public async Task<JsonObject> RunAsync(int streams, int restClients, TimeSpan duration, CancellationToken cancellationToken)
    {
        DateTime end = DateTime.UtcNow + duration;
        var clock = Stopwatch.StartNew();
        var workers = new List<Task>();
        for (int i = 0; i < streams; i++)
        {
            workers.Add(Task.Run(() => IngestAsync(i, end, cancellationToken), cancellationToken));
        }

        for (int i = 0; i < restClients; i++)
        {
            workers.Add(Task.Run(() => RestAsync(i, end, cancellationToken), cancellationToken));
        }

        await Task.WhenAll(workers);
        double seconds = clock.Elapsed.TotalSeconds;
        double[] latencies = [.. _latencies];
        double? peak = cloud.Process?.PeakResidentMiB();
        bool healthy = await HealthyAfterAsync(cancellationToken);
        log.Info($"load: {_requests} answered, {_rejected} refused with 429/RESOURCE_EXHAUSTED, {_unexpected.Count} unexpected, healthy after: {healthy}");
        foreach (string problem in _unexpected.Take(5))
        {
            log.Info($"  unexpected: {problem}");
        }

        return new JsonObject
        {
            ["streams"] = streams,
            ["rest_clients"] = restClients,
            ["seconds"] = Math.Round(seconds, 1),
            ["requests"] = _requests,
            ["errors_unexpected"] = _unexpected.Count,
            ["rejected_429"] = _rejected,
            ["p50_ms"] = Math.Round(Timing.Percentile(latencies, 0.50), 1),
            ["p99_ms"] = Math.Round(Timing.Percentile(latencies, 0.99), 1),
            ["peak_rss_mb"] = peak is null ? null : Math.Round(peak.Value, 1),
            ["healthy_after"] = healthy,
            ["requests_per_s"] = Math.Round(_requests / seconds, 2),
            ["unexpected_examples"] = new JsonArray([.. _unexpected.Take(5).Select(p => (JsonNode?)p)]),
        };
    }

    private async Task IngestAsync(int device, DateTime end, CancellationToken cancellationToken)
    {
        using GrpcChannel channel = GrpcChannel.ForAddress(cloud.GrpcAddress);
        var client = new EdgeIngest.EdgeIngestClient(channel);
        var headers = new Metadata { { "authorization", $"Bearer {CloudService.EdgeKey}" } };
        int sequence = 0;
        while (DateTime.UtcNow < end && !cancellationToken.IsCancellationRequested)
        {
            try
            {
                using AsyncDuplexStreamingCall<EdgeMessage, CloudEvent> call = client.Stream(headers, cancellationToken: cancellationToken);
                await call.RequestStream.WriteAsync(new EdgeMessage { Hello = new Hello { DeviceId = $"load-{device}", MaxInFlight = 1, AgentVersion = "reliability" } }, cancellationToken);
                if (!await call.ResponseStream.MoveNext(cancellationToken) || call.ResponseStream.Current.KindCase != CloudEvent.KindOneofCase.HelloAck)
                {
                    _unexpected.Enqueue($"ingest {device}: no HelloAck");
                    continue;
                }

                while (DateTime.UtcNow < end)
                {
                    DemoItem item = demo.Items[(device + sequence) % demo.Items.Count];
                    string frameId = $"load-{device}-{sequence++}-{Guid.NewGuid():N}";
                    await SendUntilAnsweredAsync(call, device, frameId, item, end, cancellationToken);
                }

                await call.RequestStream.CompleteAsync();
                while (await call.ResponseStream.MoveNext(cancellationToken))
                {
                }
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
            {
                Interlocked.Increment(ref _rejected);
                await Task.Delay(500, cancellationToken);
            }
            catch (RpcException ex)
            {
                _unexpected.Enqueue($"ingest {device}: stream failed {ex.StatusCode} {ex.Status.Detail}");
                await Task.Delay(500, cancellationToken);
            }
            catch (IOException ex)
            {
                _unexpected.Enqueue($"ingest {device}: {ex.GetType().Name} {ex.Message}");
                await Task.Delay(500, cancellationToken);
            }
        }
    }

    private async Task SendUntilAnsweredAsync(AsyncDuplexStreamingCall<EdgeMessage, CloudEvent> call, int device, string frameId, DemoItem item, DateTime end, CancellationToken cancellationToken)
    {
        while (true)
        {
            long start = Stopwatch.GetTimestamp();
            await call.RequestStream.WriteAsync(new EdgeMessage
            {
                Frame = new Frame
                {
                    FrameId = frameId,
                    DeviceId = $"load-{device}",
                    ModelId = demo.ModelId,
                    CodebookId = demo.CodebookId,
                    CodecFrame = ByteString.CopyFrom(item.Frame),
                    Question = item.Question,
                    Fp16EquivalentBytes = (ulong)(demo.Tokens * demo.Dim * 2),
                },
            }, cancellationToken);
            while (await call.ResponseStream.MoveNext(cancellationToken))
            {
                CloudEvent e = call.ResponseStream.Current;
                if (e.FrameId != frameId)
                {
                    continue;
                }

                if (e.KindCase == CloudEvent.KindOneofCase.Final)
                {
                    _latencies.Enqueue(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    Interlocked.Increment(ref _requests);
                    return;
                }

                if (e.KindCase == CloudEvent.KindOneofCase.Error)
                {
                    if (e.Error.Code == ErrorCode.Overloaded)
                    {
                        Interlocked.Increment(ref _rejected);
                        TimeSpan wait = e.Error.RetryAfter?.ToTimeSpan() ?? TimeSpan.FromMilliseconds(250);
                        await Task.Delay(wait < TimeSpan.FromSeconds(2) ? wait : TimeSpan.FromSeconds(2), cancellationToken);
                        if (DateTime.UtcNow >= end)
                        {
                            return;
                        }

                        break;
                    }

                    _unexpected.Enqueue($"ingest {device}: {e.Error.Code} {e.Error.Message}");
                    return;
                }
            }

            if (call.ResponseStream.Current?.FrameId != frameId || call.ResponseStream.Current.KindCase != CloudEvent.KindOneofCase.Error)
            {
                throw new RpcException(new Status(StatusCode.Unavailable, $"the stream ended before frame {frameId} was answered"));
            }
        }
    }

    private async Task RestAsync(int client, DateTime end, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = cloud.RestAddress, Timeout = TimeSpan.FromMinutes(3) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", CloudService.ApplicationKey);
        int sequence = 0;
        while (DateTime.UtcNow < end && !cancellationToken.IsCancellationRequested)
        {
            DemoItem item = demo.Items[(client * 7 + sequence++) % demo.Items.Count];
            long start = Stopwatch.GetTimestamp();
            try
            {
                using var content = new StringContent(ChatBody(item.Image, item.Question), Encoding.UTF8, "application/json");
                using HttpResponseMessage response = await http.PostAsync(new Uri("/v1/chat/completions", UriKind.Relative), content, cancellationToken);
                string body = await response.Content.ReadAsStringAsync(cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    _latencies.Enqueue(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    Interlocked.Increment(ref _requests);
                }
                else if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    Interlocked.Increment(ref _rejected);
                    TimeSpan wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromMilliseconds(250);
                    await Task.Delay(wait < TimeSpan.FromSeconds(2) ? wait : TimeSpan.FromSeconds(2), cancellationToken);
                }
                else
                {
                    _unexpected.Enqueue($"rest {client}: {(int)response.StatusCode} {body[..Math.Min(200, body.Length)]}");
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                _unexpected.Enqueue($"rest {client}: {ex.GetType().Name} {ex.Message}");
            }
        }
    }

    private async Task<bool> HealthyAfterAsync(CancellationToken cancellationToken)
    {
        if (!await cloud.IsReadyAsync(cancellationToken))
        {
            return false;
        }

        using var http = new HttpClient { BaseAddress = cloud.RestAddress, Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", CloudService.ApplicationKey);
        DemoItem item = demo.Items[0];
        using var content = new StringContent(ChatBody(item.Image, item.Question), Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await http.PostAsync(new Uri("/v1/chat/completions", UriKind.Relative), content, cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return false;
        }

        using JsonDocument answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return !string.IsNullOrEmpty(answer.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
    }

    public static string ChatBody(byte[] image, string question, string mediaType = "image/png", Action<JsonObject>? extra = null)
    {
        var body = new JsonObject
        {
            ["model"] = "shapes-vqa",
            ["messages"] = new JsonArray(new JsonObject
            {
                ["role"] = "user",
                ["content"] = new JsonArray(
                    new JsonObject { ["type"] = "text", ["text"] = question },
                    new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = $"data:{mediaType};base64,{Convert.ToBase64String(image)}" } }),
            }),
        };
        extra?.Invoke(body);
        return body.ToJsonString();
    }
}
