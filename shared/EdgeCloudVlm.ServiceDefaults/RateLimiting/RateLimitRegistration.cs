using System.Globalization;
using System.Threading.RateLimiting;
using EdgeCloudVlm.ServiceDefaults.Authentication;
using EdgeCloudVlm.ServiceDefaults.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.ServiceDefaults.RateLimiting;

/// <summary>Registers <see cref="RateLimitPolicies.PerCaller"/> and the answer to a refused request.</summary>
internal static partial class RateLimitRegistration
{
    private const string LoggerCategory = "EdgeCloudVlm.ServiceDefaults.RateLimiting";

    public static void AddServiceRateLimiting(IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>()
            .BindConfiguration(RateLimitOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.Period >= TimeSpan.FromMilliseconds(1) && o.Period <= TimeSpan.FromDays(1),
                $"{RateLimitOptions.SectionName}:Period must be between 1 ms and 1 day.")
            .Validate(o => o.Algorithm != RateLimitAlgorithm.TokenBucket || o.TokensPerPeriod <= o.PermitLimit,
                $"{RateLimitOptions.SectionName}:TokensPerPeriod must not exceed PermitLimit.")
            .ValidateOnStart();

        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = OnRejectedAsync;
            options.AddPolicy(RateLimitPolicies.PerCaller, context =>
                Partition(context, context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value));
        });
    }

    /// <summary>The partition key names the caller as authentication established it; the rate limiter runs after
    /// authentication, so a caller with a wrong key is counted by address like any anonymous one.</summary>
    internal static string PartitionKey(HttpContext context)
    {
        var user = context.User;
        if (user.Identity is { IsAuthenticated: true, Name: { } name })
        {
            var credential = user.FindFirst(ServiceClaims.Credential)?.Value ?? "user";
            return credential + ":" + name;
        }

        return "address:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
    }

    private static RateLimitPartition<string> Partition(HttpContext context, RateLimitOptions options)
    {
        var key = PartitionKey(context);
        if (!options.Enabled)
        {
            return RateLimitPartition.GetNoLimiter(key);
        }

        return options.Algorithm == RateLimitAlgorithm.FixedWindow
            ? RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = options.PermitLimit,
                Window = options.Period,
                QueueLimit = options.QueueLimit,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            })
            : RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = options.PermitLimit,
                TokensPerPeriod = options.TokensPerPeriod,
                ReplenishmentPeriod = options.Period,
                QueueLimit = options.QueueLimit,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            });
    }

    private static async ValueTask OnRejectedAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after)
            ? after
            : context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value.Period;
        var seconds = (long)Math.Max(1, Math.Ceiling(retryAfter.TotalSeconds));
        var secondsText = seconds.ToString(CultureInfo.InvariantCulture);
        context.Response.Headers.RetryAfter = secondsText;

        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(LoggerCategory);
        if (logger.IsEnabled(LogLevel.Debug))
        {
            var partition = PartitionKey(context);
            LogRejected(logger, partition, context.Request.Path.Value, seconds);
        }

        await ErrorResponses.WriteAsync(context, StatusCodes.Status429TooManyRequests, ErrorResponses.GrpcResourceExhausted,
            "rate_limit_error", "rate_limit_exceeded",
            $"Rate limit exceeded for this caller; retry after {secondsText} s.");
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Debug,
        Message = "Rate limit reached for {Partition} on {Path}; retry after {RetryAfterSeconds} s")]
    private static partial void LogRejected(ILogger logger, string partition, string? path, long retryAfterSeconds);
}
