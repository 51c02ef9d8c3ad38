namespace EdgeCloudVlm.Inference.Tests.Support;

/// <summary>The demo model the tests run: models/shapes-vqa in the repository, checked once.</summary>
internal static class ModelFolder
{
    private static readonly Lazy<string> Demo = new(RepositoryLayout.RequireDemoModel);

    public static string Path => Demo.Value;
}
