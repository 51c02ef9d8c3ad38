namespace EdgeCloudVlm.Testing;

/// <summary>The repository (the folder holding EdgeCloudVlm.sln) and the demo model in it, for every test project and
/// the benchmarks: found upwards from the binaries, else from the working directory.</summary>
internal static class RepositoryLayout
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    public static string Root => RootPath.Value;

    public static string DemoModel => Path.Combine(Root, "models", "shapes-vqa");

    /// <summary><see cref="DemoModel"/>, or an error that says how to build it when its model.json is missing.</summary>
    public static string RequireDemoModel()
    {
        string model = DemoModel;
        return File.Exists(Path.Combine(model, "model.json"))
            ? model
            : throw new InvalidOperationException(
                $"the demo model is missing: {model}/model.json (build it with models/build_demo_model.sh)");
    }

    private static string FindRoot()
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "EdgeCloudVlm.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException(
            $"repository root (EdgeCloudVlm.sln) not found above {AppContext.BaseDirectory} or {Directory.GetCurrentDirectory()}");
    }
}
