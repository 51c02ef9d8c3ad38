using System.Text;

namespace EdgeCloudVlm.Inference.Generation;

/// <summary>Stop-sequence matching on decoded text, and how much trailing text must be held back from a stream because
/// it could still become a stop sequence.</summary>
public static class StopSequences
{
    /// <summary>The earliest index at which any stop sequence starts, or -1.</summary>
    public static int IndexOf(StringBuilder text, IReadOnlyList<string> stops)
    {
        if (stops.Count == 0)
        {
            return -1;
        }

        string s = text.ToString();
        int best = -1;
        foreach (string stop in stops)
        {
            int at = s.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (best < 0 || at < best))
            {
                best = at;
            }
        }

        return best;
    }

    /// <summary>Length of the longest suffix of <paramref name="text"/> that is a proper prefix of a stop sequence.</summary>
    public static int HeldBack(StringBuilder text, IReadOnlyList<string> stops)
    {
        int held = 0;
        foreach (string stop in stops)
        {
            for (int k = Math.Min(stop.Length - 1, text.Length); k > held; k--)
            {
                if (EndsWith(text, stop.AsSpan(0, k)))
                {
                    held = k;
                    break;
                }
            }
        }

        return held;
    }

    private static bool EndsWith(StringBuilder text, ReadOnlySpan<char> suffix)
    {
        int start = text.Length - suffix.Length;
        for (int i = 0; i < suffix.Length; i++)
        {
            if (text[start + i] != suffix[i])
            {
                return false;
            }
        }

        return true;
    }
}
