namespace EdgeCloudVlm.Inference.Tests.Support;

/// <summary>Finds the demo model: up from the test binaries to the repository root, then models/shapes-vqa.</summary>
internal static class ModelFolder
{
    private static readonly Lazy<string> Demo = new(Locate);

    public static string Path => Demo.Value;

    private static string Locate()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "EdgeCloudVlm.sln")))
            {
                string model = System.IO.Path.Combine(dir.FullName, "models", "shapes-vqa");
                if (!File.Exists(System.IO.Path.Combine(model, "model.json")))
                {
                    throw new InvalidOperationException(
                        $"the demo model is missing: {model}/model.json (build it with models/build_demo_model.sh)");
                }

                return model;
            }
        }

        throw new InvalidOperationException($"repository root (EdgeCloudVlm.sln) not found above {AppContext.BaseDirectory}");
    }
}
