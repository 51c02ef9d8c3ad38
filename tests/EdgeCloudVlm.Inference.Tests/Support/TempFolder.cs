namespace EdgeCloudVlm.Inference.Tests.Support;

/// <summary>A fresh directory deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "ecvlm-inference-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>A copy of the demo model folder's manifest, vocabulary, codebooks and chosen ONNX files.</summary>
    public static TempFolder WithDemoModel(params string[] onnxFiles)
    {
        var folder = new TempFolder();
        foreach (string name in onnxFiles.Concat(["model.json", "vocab.txt"]))
        {
            System.IO.File.Copy(System.IO.Path.Combine(ModelFolder.Path, name), folder.File(name));
        }

        string codebooks = System.IO.Path.Combine(ModelFolder.Path, "codebooks");
        if (Directory.Exists(codebooks))
        {
            Directory.CreateDirectory(folder.File("codebooks"));
            foreach (string file in Directory.EnumerateFiles(codebooks))
            {
                System.IO.File.Copy(file, folder.File(System.IO.Path.Combine("codebooks", System.IO.Path.GetFileName(file))));
            }
        }

        return folder;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
