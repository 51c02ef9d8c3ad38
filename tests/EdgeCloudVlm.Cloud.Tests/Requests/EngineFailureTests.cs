using System.Net;
using EdgeCloudVlm.Cloud.Models;
using EdgeCloudVlm.Cloud.Tests.Rest;
using EdgeCloudVlm.Cloud.Tests.Support;
using EdgeCloudVlm.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeCloudVlm.Cloud.Tests.Requests;

/// <summary>How the front ends report an engine that is full or past a deadline: 429 with Retry-After and
/// RESOURCE_EXHAUSTED with RetryInfo; 504 and DEADLINE_EXCEEDED; a retryable ingest error.</summary>
public sealed class EngineFailureTests : IClassFixture<EngineFailureTests.Host>
{
    private readonly Host _host;

    public EngineFailureTests(Host host) => _host = host;

    [Fact]
    public async Task ChatCompletion_EngineOverloaded_Is429WithRetryAfter()
    {
        using HttpClient http = _host.Cloud.CreateRestClient();
        Dictionary<string, object?> body = Body("overloaded: what color is the square?");

        using HttpResponseMessage response = await http.PostAsync("/v1/chat/completions", System.Net.Http.Json.JsonContent.Create(body));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(FailingEngineFactory.RetryAfter, response.Headers.RetryAfter?.Delta);
        Assert.Contains("\"engine_overloaded\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChatCompletionStream_EngineOverloaded_Is429BeforeAnyEvent()
    {
        using HttpClient http = _host.Cloud.CreateRestClient();
        Dictionary<string, object?> body = Body("overloaded: what color is the square?");
        body["stream"] = true;

        using HttpResponseMessage response = await http.PostAsync("/v1/chat/completions", System.Net.Http.Json.JsonContent.Create(body));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task ChatCompletion_DeadlinePassed_Is504()
    {
        using HttpClient http = _host.Cloud.CreateRestClient();

        var (status, error) = await ChatCompletionErrorsTests.PostAsync(http, Body("what color is the square?"));

        Assert.Equal(HttpStatusCode.GatewayTimeout, status);
        Assert.Equal("deadline_exceeded", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Generate_EngineOverloaded_IsResourceExhaustedWithRetryInfo()
    {
        var request = new GenerateRequest { ModelId = _host.Model.Id, Prompt = "overloaded?", Image = ByteString.CopyFrom(_host.Model.ImageBytes(0)) };

        RpcException error = await Assert.ThrowsAsync<RpcException>(() => Grpc.InferenceGrpcTests.CollectAsync(_host.Cloud.CreateInferenceClient(), request));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal(FailingEngineFactory.RetryAfter, GrpcErrorDetails.Retry(error)?.RetryDelay.ToTimeSpan());
        ErrorDetail detail = GrpcErrorDetails.Detail(error);
        Assert.Equal(ErrorCode.Overloaded, detail.Code);
        Assert.True(detail.Retryable);
    }

    [Fact]
    public async Task Generate_DeadlinePassed_IsDeadlineExceeded()
    {
        var request = new GenerateRequest { ModelId = _host.Model.Id, Prompt = "what?", Image = ByteString.CopyFrom(_host.Model.ImageBytes(0)) };

        RpcException error = await Assert.ThrowsAsync<RpcException>(() => Grpc.InferenceGrpcTests.CollectAsync(_host.Cloud.CreateInferenceClient(), request));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    public async Task IngestFrame_EngineOverloaded_IsARetryableErrorWithRetryAfter()
    {
        await using IngestSessionClient session = await IngestSessionClient.OpenAsync(_host.Cloud.CreateIngestClient());

        List<CloudEvent> events = await session.AskAsync(IngestSessionClient.CodecFrame("f1", _host.Model, _host.Model.Frame(0), "overloaded?"));

        ErrorDetail error = events.Single(e => e.KindCase == CloudEvent.KindOneofCase.Error).Error;
        Assert.Equal(ErrorCode.Overloaded, error.Code);
        Assert.True(error.Retryable);
        Assert.Equal(FailingEngineFactory.RetryAfter, error.RetryAfter.ToTimeSpan());
    }

    [Fact]
    public async Task IngestFrame_BeyondMaxInFlight_IsARetryableLimitError()
    {
        await using IngestSessionClient session = await IngestSessionClient.OpenAsync(_host.Cloud.CreateIngestClient(), maxInFlight: 1);
        Assert.Equal(1u, session.HelloAck.MaxInFlight);
        byte[] frame = _host.Model.Frame(0);

        await session.SendAsync(IngestSessionClient.CodecFrame("held", _host.Model, frame, "hold: what color?"));
        await session.WaitForAcceptedAsync("held");

        // Accepted means admitted, not yet inside the engine: releasing before the engine holds it would open a gate
        // the request never waits on, and it would hang.
        await _host.WaitForHeldAsync();
        List<CloudEvent> second = await session.AskAsync(IngestSessionClient.CodecFrame("second", _host.Model, frame, "what color?"));
        _host.Engines.ReleaseHeld();
        List<CloudEvent> first = await session.WaitForAsync("held");

        ErrorDetail error = Assert.Single(second).Error;
        Assert.Equal(ErrorCode.LimitExceeded, error.Code);
        Assert.True(error.Retryable);
        Assert.Equal(ErrorCode.DeadlineExceeded, first.Single(e => e.KindCase == CloudEvent.KindOneofCase.Error).Error.Code);
    }

    [Fact]
    public async Task ChatCompletion_ClientGoesAway_CancelsTheEngineRequest()
    {
        using HttpClient http = _host.Cloud.CreateRestClient();
        using var cancel = new CancellationTokenSource();
        Task<HttpResponseMessage> post = http.PostAsync("/v1/chat/completions", System.Net.Http.Json.JsonContent.Create(Body("hold: what color?")), cancel.Token);
        await _host.WaitForHeldAsync();

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => post);
        await _host.WaitForNoneHeldAsync();
    }

    private Dictionary<string, object?> Body(string question)
    {
        Dictionary<string, object?> body = ChatCompletionsTests.Body(_host.Model);
        body["messages"] = new object[]
        {
            new
            {
                role = "user",
                content = new object[]
                {
                    new { type = "text", text = question },
                    new { type = "image_url", image_url = new { url = "data:image/png;base64," + Convert.ToBase64String(_host.Model.ImageBytes(0)) } },
                },
            },
        };
        return body;
    }

    public sealed class Host : IAsyncLifetime
    {
        public Host()
        {
            Cloud = new CloudFactory(services: s => s.AddSingleton<IGenerationEngineFactory>(Engines));
        }

        public DemoModel Model { get; } = new();

        public FailingEngineFactory Engines { get; } = new();

        public CloudFactory Cloud { get; }

        public Task WaitForHeldAsync() => WaitUntilAsync(() => Engines.Holding > 0);

        public Task WaitForNoneHeldAsync() => WaitUntilAsync(() => Engines.Holding == 0);

        private static async Task WaitUntilAsync(Func<bool> condition)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            while (!condition())
            {
                await Task.Delay(10, timeout.Token);
            }
        }

        public async Task InitializeAsync() => await Cloud.StartAsync();

        public async Task DisposeAsync()
        {
            await Cloud.DisposeAsync();
            Model.Dispose();
        }
    }
}
