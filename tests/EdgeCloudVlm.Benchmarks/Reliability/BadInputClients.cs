using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using EdgeCloudVlm.Contracts.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace EdgeCloudVlm.Benchmarks.Reliability;

/// <summary>How the bad-input corpus talks to the cloud: REST with the application key, gRPC Generate and Codebooks,
/// the ingest stream with the edge key, and raw HTTP/2 for gRPC messages no generated client would write.</summary>
internal sealed class BadInputClients(CloudService cloud) : IDisposable
{
    private readonly HttpClient _rest = new() { BaseAddress = cloud.RestAddress, Timeout = TimeSpan.FromMinutes(2) };
    private readonly HttpClient _raw = new() { BaseAddress = cloud.GrpcAddress, Timeout = TimeSpan.FromMinutes(2) };
    private readonly GrpcChannel _channel = GrpcChannel.ForAddress(cloud.GrpcAddress);

    public void Dispose()
    {
        _rest.Dispose();
        _raw.Dispose();
        _channel.Dispose();
    }

    public Task<Observed> ChatAsync(string body, CancellationToken cancellationToken, string? key = CloudService.ApplicationKey) =>
        ChatAsync(Encoding.UTF8.GetBytes(body), "application/json", cancellationToken, key);

    public async Task<Observed> ChatAsync(byte[] body, string contentType, CancellationToken cancellationToken, string? key = CloudService.ApplicationKey)
    {
        try
        {
            return await SendChatAsync(body, contentType, key, cancellationToken);
        }
        catch (HttpRequestException)
        {
            // The server closes a connection after refusing a body it did not read (413): the pooled connection of the
            // next request may be that one. Once more, on a new connection.
            return await SendChatAsync(body, contentType, key, cancellationToken);
        }
    }

    private async Task<Observed> SendChatAsync(byte[] body, string contentType, string? key, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/chat/completions", UriKind.Relative))
        {
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        using HttpResponseMessage response = await _rest.SendAsync(request, cancellationToken);
        return await ReadRestAsync(response, cancellationToken);
    }

    public async Task<Observed> GetAsync(string path, CancellationToken cancellationToken, string? key = CloudService.ApplicationKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation("x-api-key", key);
        }

        using HttpResponseMessage response = await _rest.SendAsync(request, cancellationToken);
        return await ReadRestAsync(response, cancellationToken);
    }

    public async Task<Observed> GenerateAsync(GenerateRequest request, CancellationToken cancellationToken, string key = CloudService.ApplicationKey)
    {
        var client = new EdgeCloudVlm.Contracts.V1.Inference.InferenceClient(_channel);
        try
        {
            using AsyncServerStreamingCall<GenerateResponse> call = client.Generate(request, Auth(key), cancellationToken: cancellationToken);
            string text = "";
            while (await call.ResponseStream.MoveNext(cancellationToken))
            {
                if (call.ResponseStream.Current.KindCase == GenerateResponse.KindOneofCase.Final)
                {
                    text = call.ResponseStream.Current.Final.Text;
                }
            }

            return new Observed("grpc OK", null, text);
        }
        catch (RpcException ex)
        {
            return FromRpc(ex);
        }
    }

    public async Task<Observed> FetchCodebookAsync(FetchCodebookRequest request, CancellationToken cancellationToken)
    {
        var client = new Codebooks.CodebooksClient(_channel);
        try
        {
            using AsyncServerStreamingCall<CodebookChunk> call = client.Fetch(request, Auth(CloudService.EdgeKey), cancellationToken: cancellationToken);
            long bytes = 0;
            while (await call.ResponseStream.MoveNext(cancellationToken))
            {
                bytes += call.ResponseStream.Current.Data.Length;
            }

            return new Observed("grpc OK", null, $"{bytes} bytes");
        }
        catch (RpcException ex)
        {
            return FromRpc(ex);
        }
    }

    /// <summary>Opens an ingest session, sends <paramref name="frame"/> and returns the frame's Error (or Final).</summary>
    public async Task<Observed> IngestAsync(Frame frame, CancellationToken cancellationToken, string deviceId = "bad-input-device")
    {
        var client = new EdgeIngest.EdgeIngestClient(_channel);
        try
        {
            using AsyncDuplexStreamingCall<EdgeMessage, CloudEvent> call = client.Stream(Auth(CloudService.EdgeKey), cancellationToken: cancellationToken);
            await call.RequestStream.WriteAsync(new EdgeMessage { Hello = new Hello { DeviceId = deviceId, MaxInFlight = 4 } }, cancellationToken);
            await call.RequestStream.WriteAsync(new EdgeMessage { Frame = frame }, cancellationToken);
            Observed? observed = null;
            while (observed is null && await call.ResponseStream.MoveNext(cancellationToken))
            {
                CloudEvent e = call.ResponseStream.Current;
                observed = e.KindCase switch
                {
                    CloudEvent.KindOneofCase.Error => new Observed($"ingest {Name(e.Error.Code)}", Name(e.Error.Code), e.Error.Message),
                    CloudEvent.KindOneofCase.Final => new Observed("ingest FINAL", null, e.Final.Text),
                    _ => null,
                };
            }

            await call.RequestStream.CompleteAsync();
            return observed ?? new Observed("ingest ENDED", null, "the stream ended without an answer for the frame");
        }
        catch (RpcException ex)
        {
            return FromRpc(ex);
        }
    }

    /// <summary>An ingest session whose first message is <paramref name="first"/>: the session-level Error it gets.</summary>
    public async Task<Observed> IngestSessionAsync(EdgeMessage first, CancellationToken cancellationToken)
    {
        var client = new EdgeIngest.EdgeIngestClient(_channel);
        Observed? error = null;
        try
        {
            using AsyncDuplexStreamingCall<EdgeMessage, CloudEvent> call = client.Stream(Auth(CloudService.EdgeKey), cancellationToken: cancellationToken);
            await call.RequestStream.WriteAsync(first, cancellationToken);
            while (await call.ResponseStream.MoveNext(cancellationToken))
            {
                CloudEvent e = call.ResponseStream.Current;
                if (e.KindCase == CloudEvent.KindOneofCase.Error)
                {
                    error = new Observed($"ingest {Name(e.Error.Code)}", Name(e.Error.Code), e.Error.Message);
                }
            }

            return error ?? new Observed("ingest ENDED", null, "the session ended without an error");
        }
        catch (RpcException ex)
        {
            return error ?? FromRpc(ex);
        }
    }

    /// <summary>A gRPC call whose request message is <paramref name="message"/> exactly (any bytes), over HTTP/2.</summary>
    public async Task<Observed> RawGrpcAsync(string path, byte[] message, CancellationToken cancellationToken, string key = CloudService.ApplicationKey)
    {
        byte[] framed = new byte[5 + message.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(framed.AsSpan(1), message.Length);
        message.CopyTo(framed, 5);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(framed),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        request.Headers.TryAddWithoutValidation("x-api-key", key);
        using HttpResponseMessage response = await _raw.SendAsync(request, cancellationToken);
        await response.Content.ReadAsByteArrayAsync(cancellationToken);
        string? status = Header(response, "grpc-status");
        string message2 = Uri.UnescapeDataString(Header(response, "grpc-message") ?? "");
        StatusCode code = int.TryParse(status, out int value) ? (StatusCode)value : StatusCode.Unknown;
        return new Observed($"grpc {code}", null, message2);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out IEnumerable<string>? values) || response.TrailingHeaders.TryGetValues(name, out values)
            ? values.First()
            : null;

    private static Metadata Auth(string key) => new() { { "authorization", $"Bearer {key}" } };

    private static Observed FromRpc(RpcException ex)
    {
        ErrorDetail? detail = ex.GetRpcStatus()?.GetDetail<ErrorDetail>();
        return new Observed($"grpc {ex.StatusCode}", detail is null ? null : Name(detail.Code), ex.Status.Detail);
    }

    /// <summary>The proto's name of an error code (ERROR_CODE_INVALID_FRAME → INVALID_FRAME).</summary>
    private static string Name(ErrorCode code) => code switch
    {
        ErrorCode.InvalidFrame => "INVALID_FRAME",
        ErrorCode.UnknownCodebook => "UNKNOWN_CODEBOOK",
        ErrorCode.UnknownModel => "UNKNOWN_MODEL",
        ErrorCode.InvalidImage => "INVALID_IMAGE",
        ErrorCode.LimitExceeded => "LIMIT_EXCEEDED",
        ErrorCode.Overloaded => "OVERLOADED",
        ErrorCode.DeadlineExceeded => "DEADLINE_EXCEEDED",
        ErrorCode.Cancelled => "CANCELLED",
        ErrorCode.Internal => "INTERNAL",
        ErrorCode.Unauthenticated => "UNAUTHENTICATED",
        ErrorCode.PermissionDenied => "PERMISSION_DENIED",
        _ => "UNSPECIFIED",
    };

    private static async Task<Observed> ReadRestAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string text = await response.Content.ReadAsStringAsync(cancellationToken);
        string status = $"http {(int)response.StatusCode}";
        try
        {
            using JsonDocument body = JsonDocument.Parse(text);
            if (body.RootElement.ValueKind == JsonValueKind.Object && body.RootElement.TryGetProperty("error", out JsonElement error))
            {
                return new Observed(status, error.TryGetProperty("code", out JsonElement code) ? code.GetString() : null,
                    error.TryGetProperty("message", out JsonElement message) ? message.GetString() ?? "" : "");
            }
        }
        catch (JsonException)
        {
        }

        return new Observed(status, null, text.Length > 300 ? text[..300] : text);
    }
}
