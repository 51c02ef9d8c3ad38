using EdgeCloudVlm.Contracts.V1;

namespace EdgeCloudVlm.Edge.Uplink;

/// <summary>The ingest session failed at the protocol level (refused Hello, a session-level Error, an early close).</summary>
public sealed class UplinkSessionException : Exception
{
    public UplinkSessionException()
    {
    }

    public UplinkSessionException(string message)
        : base(message)
    {
    }

    public UplinkSessionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public UplinkSessionException(string message, ErrorDetail detail)
        : base(message)
    {
        Detail = detail;
    }

    public ErrorDetail? Detail { get; }
}
