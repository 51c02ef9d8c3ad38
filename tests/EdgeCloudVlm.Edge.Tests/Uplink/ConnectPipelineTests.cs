using EdgeCloudVlm.Edge.State;
using EdgeCloudVlm.Edge.Uplink;
using Grpc.Core;
using Microsoft.Extensions.Time.Testing;
using Polly;

namespace EdgeCloudVlm.Edge.Tests.Uplink;

public sealed class ConnectPipelineTests
{
    private static readonly UplinkOptions Options = new()
    {
        Address = new Uri("http://127.0.0.1:1"),
        ConnectTimeout = TimeSpan.FromSeconds(5),
        RetryBaseDelay = TimeSpan.FromSeconds(1),
        RetryMaxDelay = TimeSpan.FromSeconds(30),
        BreakerMinimumThroughput = 4,
        BreakerSamplingDuration = TimeSpan.FromMinutes(5),
        BreakerBreakDuration = TimeSpan.FromSeconds(60),
    };

    [Fact]
    public async Task ExecuteAsync_CloudDownThenUp_RetriesWithBackoffAndOpensTheCircuitInVirtualTime()
    {
        var time = new FakeTimeProvider();
        var failures = new List<ConnectAttemptFailure>();
        var circuit = new List<bool>();
        ResiliencePipeline pipeline = ConnectPipeline.Build(Options, time, failures.Add, circuit.Add);
        int attempts = 0;

        Task<string> connect = pipeline.ExecuteAsync(async token =>
        {
            await Task.Yield();
            return ++attempts <= 4 ? throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, "down")) : "session";
        }, CancellationToken.None).AsTask();

        while (!connect.IsCompleted)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(1);
        }

        Assert.Equal("session", await connect);
        Assert.Equal(5, attempts);
        Assert.Equal([true, false], circuit);
        Assert.All(failures, f => Assert.InRange(f.NextDelay, TimeSpan.Zero, Options.RetryMaxDelay));
        Assert.Contains(failures, f => f.Exception is Polly.CircuitBreaker.BrokenCircuitException);
        Assert.True(time.GetUtcNow() - time.Start >= Options.BreakerBreakDuration, "the open circuit held attempts back for its break duration");
    }

    [Fact]
    public async Task ExecuteAsync_HandshakeHangs_TimesOutPerAttemptAndRetries()
    {
        var time = new FakeTimeProvider();
        var failures = new List<ConnectAttemptFailure>();
        ResiliencePipeline pipeline = ConnectPipeline.Build(Options, time, failures.Add);
        int attempts = 0;

        Task<int> connect = pipeline.ExecuteAsync(async token =>
        {
            if (++attempts == 1)
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, time, token);
            }

            return attempts;
        }, CancellationToken.None).AsTask();

        while (!connect.IsCompleted)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(1);
        }

        Assert.Equal(2, await connect);
        Assert.IsType<Polly.Timeout.TimeoutRejectedException>(Assert.Single(failures).Exception);
    }

    [Theory]
    [InlineData(StatusCode.Unauthenticated, LinkState.Unauthorized, "ApiKey")]
    [InlineData(StatusCode.PermissionDenied, LinkState.Unauthorized, "role 'edge'")]
    [InlineData(StatusCode.Unavailable, LinkState.Disconnected, "unreachable")]
    public void Describe_RpcFailure_SaysWhatToDo(StatusCode code, LinkState state, string hint)
    {
        (LinkState actual, string message) = UplinkErrors.Describe(new RpcException(new Grpc.Core.Status(code, "detail")), new Uri("http://cloud:8080"));

        Assert.Equal(state, actual);
        Assert.Contains(hint, message, StringComparison.Ordinal);
        Assert.Contains("http://cloud:8080", message, StringComparison.Ordinal);
    }
}
