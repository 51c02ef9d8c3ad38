namespace EdgeCloudVlm.Inference.Tests.Support;

internal static class TensorAssert
{
    /// <summary>Asserts equal lengths and max |a-b| within <paramref name="tolerance"/>; returns the max error.</summary>
    public static double Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double max = 0;
        int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs((double)expected[i] - actual[i]);
            if (!(d <= max))
            {
                max = d;
                at = i;
            }
        }

        Assert.True(max <= tolerance, $"{what}: max abs error {max:E3} at {at} exceeds {tolerance:E1}");
        return max;
    }
}
