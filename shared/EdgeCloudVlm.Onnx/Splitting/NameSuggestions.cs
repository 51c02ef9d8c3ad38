namespace EdgeCloudVlm.Onnx.Splitting;

/// <summary>Finds the names closest to a misspelled one, for "did you mean" hints.</summary>
internal static class NameSuggestions
{
    /// <summary>
    /// Up to <paramref name="count"/> candidates ordered by edit distance (ignoring case), candidates that contain
    /// the query or are contained in it counting as close; ties keep the candidates' order.
    /// </summary>
    public static IReadOnlyList<string> Closest(string query, IEnumerable<string> candidates, int count)
    {
        string lowered = query.ToLowerInvariant();
        var scored = new List<(int Score, int Position, string Name)>();
        int position = 0;
        foreach (string candidate in candidates)
        {
            string other = candidate.ToLowerInvariant();
            int distance = Distance(lowered, other);
            bool related = lowered.Length > 0 && (other.Contains(lowered, StringComparison.Ordinal) || lowered.Contains(other, StringComparison.Ordinal));
            int score = related ? Math.Min(distance, Math.Abs(other.Length - lowered.Length) / 4) : distance;
            scored.Add((score, position++, candidate));
        }

        scored.Sort(static (a, b) => a.Score != b.Score ? a.Score.CompareTo(b.Score) : a.Position.CompareTo(b.Position));
        int limit = Math.Max(3, query.Length);
        var result = new List<string>(count);
        foreach ((int score, _, string name) in scored)
        {
            if (result.Count == count || score > limit)
            {
                break;
            }

            result.Add(name);
        }

        return result;
    }

    // Levenshtein distance with two rows.
    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
