namespace EdgeCloudVlm.Deployment.Tests.Support;

/// <summary>The repository paths the deployment tests read: Docker files and the Helm chart.</summary>
internal static class RepositoryPaths
{
    public static string Docker => Path.Combine(RepositoryLayout.Root, "docker");

    public static string Chart => Path.Combine(RepositoryLayout.Root, "helm", "edgecloudvlm");

    public static string InRepo(params string[] parts) => Path.Combine([RepositoryLayout.Root, .. parts]);
}
