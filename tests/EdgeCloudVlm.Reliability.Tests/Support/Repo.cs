namespace EdgeCloudVlm.Reliability.Tests.Support;

/// <summary>The benchmark program the reliability tests run.</summary>
internal static class Repo
{
    /// <summary>
    /// The benchmark program's build output, beside this project's in either layout (<c>tests/X/bin/Release/net10.0</c>
    /// or <c>artifacts/bin/X/release</c>): the same path with this project's name replaced. <c>./test.sh</c> builds the
    /// solution, and with it the benchmarks, before it runs any test.
    /// </summary>
    public static string BenchmarksDll
    {
        get
        {
            const string self = "EdgeCloudVlm.Reliability.Tests";
            string folder = AppContext.BaseDirectory.Replace(self, "EdgeCloudVlm.Benchmarks", StringComparison.Ordinal);
            string dll = Path.Combine(folder, "EdgeCloudVlm.Benchmarks.dll");
            return File.Exists(dll)
                ? dll
                : throw new FileNotFoundException($"{dll} is missing: build tests/EdgeCloudVlm.Benchmarks (the same configuration) first");
        }
    }
}
