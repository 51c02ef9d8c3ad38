using System.Globalization;
using System.Text.RegularExpressions;

namespace EdgeCloudVlm.Benchmarks.EndToEnd;

/// <summary>
/// The rate limit on the current namespace's loopback: a token bucket (<c>tc qdisc ... tbf</c>; this kernel has no
/// netem). Run from inside the namespace. The bucket holds two full-size packets (or 2 ms at the rate, when larger), so
/// nothing but a packet or two passes faster than the rate; the queue is deep (4 MiB), so nothing is dropped and a
/// transfer takes its size over the rate — the most favourable case for sending whole images.
/// </summary>
internal static partial class TokenBucket
{
    private const int PacketBytes = 1514; // MTU 1500 plus the Ethernet header loopback frames carry

    public const int QueueLimitBytes = 4 << 20;

    public static int BurstBytes(double mbit) => Math.Max(2 * PacketBytes, (int)(mbit * 1e6 / 8 * 0.002));

    /// <summary>Replaces the loopback's root qdisc; returns what <c>tc qdisc show</c> reports afterwards.</summary>
    public static string Apply(double mbit)
    {
        string rate = mbit.ToString("0.###", CultureInfo.InvariantCulture) + "mbit";
        ExternalCommand.Run(["tc", "qdisc", "replace", "dev", "lo", "root", "tbf", "rate", rate,
            "burst", BurstBytes(mbit).ToString(CultureInfo.InvariantCulture), "limit", QueueLimitBytes.ToString(CultureInfo.InvariantCulture)]);
        string shown = ExternalCommand.Run(["tc", "qdisc", "show", "dev", "lo"]).Trim();
        if (!shown.Contains("tbf", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"tc did not install the token bucket on lo: {shown}");
        }

        return shown;
    }

    /// <summary>Bytes the loopback's root qdisc has sent (both directions cross it).</summary>
    public static long SentBytes()
    {
        Match match = SentPattern().Match(ExternalCommand.Run(["tc", "-s", "qdisc", "show", "dev", "lo"]));
        return match.Success ? long.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture) : -1;
    }

    [GeneratedRegex(@"Sent (\d+) bytes")]
    private static partial Regex SentPattern();
}
