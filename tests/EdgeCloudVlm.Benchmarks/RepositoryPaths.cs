namespace EdgeCloudVlm.Benchmarks;

/// <summary>Finds the repository (the folder holding EdgeCloudVlm.sln) from wherever the benchmark runs.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string DemoModel => Path.Combine(Root, "models", "shapes-vqa");

    private static string FindRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                if (File.Exists(Path.Combine(folder.FullName, "EdgeCloudVlm.sln")))
                {
                    return folder.FullName;
                }
            }
        }

        throw new DirectoryNotFoundException("Run the benchmarks from inside the repository (EdgeCloudVlm.sln not found).");
    }
}
