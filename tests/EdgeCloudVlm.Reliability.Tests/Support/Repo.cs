namespace EdgeCloudVlm.Reliability.Tests.Support;

/// <summary>Paths in the repository.</summary>
internal static class Repo
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EdgeCloudVlm.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"repository root (EdgeCloudVlm.sln) not found above {AppContext.BaseDirectory}");
    });

    public static string Root => RootPath.Value;

    public static string DemoModel => Path.Combine(Root, "models", "shapes-vqa");

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
