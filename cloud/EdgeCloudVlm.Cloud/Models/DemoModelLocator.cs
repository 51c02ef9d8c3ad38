using EdgeCloudVlm.Inference.Manifest;

namespace EdgeCloudVlm.Cloud.Models;

/// <summary>Finds the repository's demo model above a start folder, so a checkout serves it without configuration.</summary>
internal static class DemoModelLocator
{
    public const string RelativePath = "models/shapes-vqa";

    /// <summary>The first <c>models/shapes-vqa</c> with a manifest found walking up from each start folder in turn.</summary>
    public static string? Find(params string?[] startFolders)
    {
        foreach (string? start in startFolders)
        {
            if (string.IsNullOrEmpty(start))
            {
                continue;
            }

            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "models", "shapes-vqa");
                if (File.Exists(Path.Combine(candidate, ModelManifest.FileName)))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
