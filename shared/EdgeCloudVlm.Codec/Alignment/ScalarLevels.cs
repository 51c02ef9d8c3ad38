namespace EdgeCloudVlm.Codec.Alignment;

/// <summary>Nearest-level lookup in a sorted table of scalar reconstruction levels.</summary>
internal static class ScalarLevels
{
    /// <summary>Index of the level closest to <paramref name="value"/> (lowest on ties; NaN maps to 0).</summary>
    public static int Nearest(ReadOnlySpan<float> levels, float value)
    {
        if (!(value > levels[0]))
        {
            return 0;
        }

        var last = levels.Length - 1;
        if (value >= levels[last])
        {
            return last;
        }

        int lo = 0, hi = last;
        while (hi - lo > 1)
        {
            var mid = (lo + hi) >>> 1;
            if (levels[mid] <= value)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        return value - levels[lo] <= levels[hi] - value ? lo : hi;
    }
}
