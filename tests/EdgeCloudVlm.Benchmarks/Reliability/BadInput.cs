using System.Text.RegularExpressions;

namespace EdgeCloudVlm.Benchmarks.Reliability;

/// <summary>What the service answered: a status (<c>http 400</c>, <c>grpc InvalidArgument</c>, <c>ingest
/// INVALID_FRAME</c>, <c>log</c>), the machine-readable code when there is one, and the message for people.</summary>
internal sealed record Observed(string Status, string? Code, string Message)
{
    /// <summary>Answers that mean the service failed (an unhandled exception) rather than refused: a 5xx or an
    /// INTERNAL/UNKNOWN status. Not a crash (the service stays up) and never a clear error.</summary>
    public bool IsServerFault => Status.StartsWith("http 5", StringComparison.Ordinal)
        || Status is "grpc Internal" or "grpc Unknown" || Code is "INTERNAL" or "internal_error";

    public override string ToString() => $"{Status} [{Code}] {Message}";
}

/// <summary>The specific refusal a bad input must get: its status, its code (when the protocol has one) and a
/// pattern the message must match (what was wrong, in words), case-insensitive.</summary>
internal sealed record Expected(string Status, string? Code, string MessagePattern)
{
    public bool Matches(Observed observed) =>
        string.Equals(Status, observed.Status, StringComparison.Ordinal)
        && (Code is null || string.Equals(Code, observed.Code, StringComparison.Ordinal))
        && Regex.IsMatch(observed.Message, MessagePattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    public override string ToString() => $"{Status} [{Code}] /{MessagePattern}/";
}

/// <summary>One malformed input: where it goes, how to send it, and what must come back.</summary>
internal sealed record BadInput(string Area, string Name, Func<CancellationToken, Task<Observed>> Send, Expected Expect);
