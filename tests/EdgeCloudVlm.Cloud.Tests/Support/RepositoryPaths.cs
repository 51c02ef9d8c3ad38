namespace EdgeCloudVlm.Cloud.Tests.Support;

/// <summary>Finds the repository (the folder with EdgeCloudVlm.sln) above the test binaries.</summary>
internal static class RepositoryPaths
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
}
