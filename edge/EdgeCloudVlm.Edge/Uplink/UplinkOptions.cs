using System.ComponentModel.DataAnnotations;

namespace EdgeCloudVlm.Edge.Uplink;

/// <summary>The link to the cloud (section <c>Edge:Uplink</c>).</summary>
public sealed class UplinkOptions
{
    public const string SectionName = "Edge:Uplink";

    /// <summary>Cloud gRPC address: <c>http://</c> for HTTP/2 cleartext, <c>https://</c> for TLS.</summary>
    [Required]
    public Uri? Address { get; set; }

    /// <summary>API key of role <c>edge</c>; sent as <see cref="ApiKeyHeader"/>.</summary>
    public string? ApiKey { get; set; }

    /// <summary><c>authorization</c> (sent as <c>Bearer &lt;key&gt;</c>, the default) or <c>x-api-key</c>.</summary>
    public string ApiKeyHeader { get; set; } = "authorization";

    /// <summary>Client certificate for mutual TLS: a PFX/PKCS#12 file, or a PEM certificate with
    /// <see cref="ClientKeyPath"/>.</summary>
    public string? ClientCertificatePath { get; set; }

    /// <summary>PEM private key of a PEM <see cref="ClientCertificatePath"/>.</summary>
    public string? ClientKeyPath { get; set; }

    /// <summary>Password of a PFX file or an encrypted PEM key.</summary>
    public string? ClientCertificatePassword { get; set; }

    /// <summary>Most frames sent and not yet answered; the cloud's HelloAck may lower it.</summary>
    [Range(1, 4096)]
    public int MaxInFlight { get; set; } = 16;

    /// <summary>Per-attempt limit on opening the stream and getting HelloAck.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>HTTP/2 PING when the connection has been quiet this long (detects a dead link without traffic).</summary>
    public TimeSpan KeepAlivePingDelay { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>The connection is dropped when a PING gets no answer within this.</summary>
    public TimeSpan KeepAlivePingTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>First reconnect delay; doubles per failed attempt, with jitter, up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Failed attempts within <see cref="BreakerSamplingDuration"/> that open the circuit.</summary>
    [Range(2, 1000)]
    public int BreakerMinimumThroughput { get; set; } = 5;

    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long an open circuit refuses attempts.</summary>
    public TimeSpan BreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Application-level Ping on the stream, for the round-trip metric.</summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often committed frame ids are acknowledged.</summary>
    public TimeSpan AckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Delay before resending a frame the cloud failed as retryable without a retry_after.</summary>
    public TimeSpan RetryableFrameDelay { get; set; } = TimeSpan.FromSeconds(2);
}
