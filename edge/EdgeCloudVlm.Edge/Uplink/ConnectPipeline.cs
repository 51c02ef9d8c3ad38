using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace EdgeCloudVlm.Edge.Uplink;

/// <summary>
/// The resilience pipeline around opening a session: retry (exponential backoff with jitter, without end) outside a
/// circuit breaker (after repeated failures, attempts pause for the break duration instead of hammering a cloud that is
/// down) outside a per-attempt timeout (a handshake that hangs counts as a failure). Runs on the injected
/// <see cref="TimeProvider"/>, so tests can drive it in virtual time.
/// </summary>
public static class ConnectPipeline
{
    public static ResiliencePipeline Build(UplinkOptions options, TimeProvider time, Action<ConnectAttemptFailure>? onFailure = null, Action<bool>? onCircuit = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                MaxDelay = options.RetryMaxDelay,
                MaxRetryAttempts = int.MaxValue,
                ShouldHandle = new PredicateBuilder().Handle<Exception>(static ex => ex is not OperationCanceledException),
                OnRetry = args =>
                {
                    onFailure?.Invoke(new ConnectAttemptFailure(args.AttemptNumber + 1, args.Outcome.Exception, args.RetryDelay));
                    return ValueTask.CompletedTask;
                },
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = 1.0,
                MinimumThroughput = options.BreakerMinimumThroughput,
                SamplingDuration = options.BreakerSamplingDuration,
                BreakDuration = options.BreakerBreakDuration,
                ShouldHandle = new PredicateBuilder().Handle<Exception>(static ex => ex is not OperationCanceledException),
                OnOpened = _ =>
                {
                    onCircuit?.Invoke(true);
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    onCircuit?.Invoke(false);
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(options.ConnectTimeout)
            .Build();
    }
}

/// <summary>One failed attempt to open the session, and when the next one comes.</summary>
public sealed record ConnectAttemptFailure(int Attempt, Exception? Exception, TimeSpan NextDelay);
