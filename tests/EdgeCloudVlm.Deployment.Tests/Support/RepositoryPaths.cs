namespace EdgeCloudVlm.Deployment.Tests.Support;

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

    public static string Docker => Path.Combine(Root, "docker");

    public static string Chart => Path.Combine(Root, "helm", "edgecloudvlm");

    public static string InRepo(params string[] parts) => Path.Combine([Root, .. parts]);
}
