using System.CommandLine;
using System.Text.Json.Nodes;
using EdgeCloudVlm.Codec;
using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.ModelTools.Commands;

namespace EdgeCloudVlm.ModelTools.Tests.Commands;

public sealed class CodebookCommandTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("ecv-codebook-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    [Fact]
    public void Train_DemoModel_WritesALoadableCodebookAndRegistersIt()
    {
        var model = CopyOfDemoModel();
        var (exitCode, output, error) = Invoke("codebook", "train", model, "--config", "norm2x4-center-g1-s1-k16", "--iterations", "5", "--register");

        Assert.True(exitCode == 0, error + output);
        var path = Path.Combine(model, "codebooks", "norm2x4-center-g1-s1-k16" + CodebookFile.Extension);
        var codebook = CodebookFile.Load(path);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "model.json")))!;
        Assert.Equal((int)manifest["vision"]!["hidden_dim"]!, codebook.Dimension);
        var entry = manifest["codebooks"]!.AsArray().Single(e => (string?)e!["file"] == "codebooks/norm2x4-center-g1-s1-k16.avqcb");
        Assert.Equal(codebook.Id.ToString(), (string?)entry!["id"]);
        Assert.Contains("trained norm2x4-center-g1-s1-k16", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_SameSeedTwice_WritesTheSameId()
    {
        var model = CopyOfDemoModel();
        var first = Path.Combine(_scratch, "a.avqcb");
        var second = Path.Combine(_scratch, "b.avqcb");

        foreach (var path in new[] { first, second })
        {
            var (exitCode, output, error) = Invoke("codebook", "train", model, "--config", "norm2x4-g1-s1-k8", "--iterations", "3", "--out", path);
            Assert.True(exitCode == 0, error + output);
        }

        Assert.Equal(CodebookFile.Load(first).Id, CodebookFile.Load(second).Id);
    }

    [Fact]
    public void Train_BadConfig_FailsWithAMessage()
    {
        var (exitCode, _, error) = Invoke("codebook", "train", RepositoryLayout.DemoModel, "--config", "norm2x4-zz");

        Assert.Equal(ExitCodes.TrainingError, exitCode);
        Assert.Contains("zz", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_MissingModel_FailsNamingTheProblem()
    {
        var (exitCode, _, error) = Invoke("codebook", "train", Path.Combine(_scratch, "nowhere"));

        Assert.Equal(ExitCodes.TrainingError, exitCode);
        Assert.Contains("nowhere", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ShippedCodebooks_LoadAndMatchTheManifest()
    {
        var model = RepositoryLayout.DemoModel;
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "model.json")))!;
        var entries = manifest["codebooks"]!.AsArray();

        Assert.NotEmpty(entries);
        foreach (var entry in entries)
        {
            Assert.True(CodebookId.TryParse((string?)entry!["id"], out var id));
            var codebook = CodebookFile.Load(Path.Combine(model, (string)entry["file"]!), id);
            Assert.Equal((int)manifest["vision"]!["hidden_dim"]!, codebook.Dimension);
            Assert.Equal((string?)entry["config"], codebook.Document.Training.Configuration);
            Assert.Contains(codebook.Positions, new[] { 0, (int)manifest["vision"]!["tokens"]! });
            _ = new AlignedVqCodec(codebook);
        }
    }

    private static (int ExitCode, string Output, string Error) Invoke(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var parse = ModelToolsCommand.CreateRoot().Parse(args);
        var exitCode = parse.Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }

    private string CopyOfDemoModel()
    {
        var source = RepositoryLayout.DemoModel;
        var target = Path.Combine(_scratch, "shapes-vqa");
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        CopyFolder(Path.Combine(source, "calib"), Path.Combine(target, "calib"));
        CopyFolder(Path.Combine(source, "codebooks"), Path.Combine(target, "codebooks"));
        return target;
    }

    private static void CopyFolder(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
    }
}
