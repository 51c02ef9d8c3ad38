using EdgeCloudVlm.Cloud.Codebooks;
using EdgeCloudVlm.Cloud.Tests.Support;
using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Inference.Manifest;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeCloudVlm.Cloud.Tests.Codebooks;

public sealed class CodebookRegistryTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("ecv-registry-").FullName;
    private readonly ModelManifest _manifest = ModelManifest.Load(RepositoryLayout.DemoModel, []);

    [Fact]
    public void AddModelCodebooks_DemoManifest_LoadsTheVerifiedCodebookWithItsSplit()
    {
        var registry = new CodebookRegistry(NullLogger<CodebookRegistry>.Instance);
        CodebookEntry entry = FirstEntry();

        int loaded = registry.AddModelCodebooks(_manifest, "shapes-vqa");

        Assert.Equal(_manifest.Codebooks.Count, loaded);
        Assert.True(CodebookId.TryParse(entry.Id, out CodebookId id));
        Assert.True(registry.TryGet(id, out RegisteredCodebook? codebook));
        Assert.Equal("shapes-vqa", codebook.ModelId);
        Assert.Equal(_manifest.Vision.SplitLayer, codebook.SplitLayer);
        Assert.Equal(_manifest.Vision.Tokens, codebook.Tokens);
        Assert.Same(codebook, registry.FindByTag(id.Tag));
    }

    [Fact]
    public void AddModelCodebooks_IdThatDoesNotMatchTheFile_IsSkipped()
    {
        var registry = new CodebookRegistry(NullLogger<CodebookRegistry>.Instance);
        ModelManifest wrong = _manifest with { Codebooks = [FirstEntry() with { Id = new string('d', 64) }] };

        int loaded = registry.AddModelCodebooks(wrong, "shapes-vqa");

        Assert.Equal(0, loaded);
        Assert.Empty(registry.All);
    }

    [Fact]
    public void LoadFolder_CorruptFileBesideAGoodOne_LoadsOnlyTheGoodOne()
    {
        File.Copy(_manifest.ResolvePath(FirstEntry().File), Path.Combine(_folder, "good.avqcb"));
        File.WriteAllBytes(Path.Combine(_folder, "bad.avqcb"), [1, 2, 3, 4]);
        var registry = new CodebookRegistry(NullLogger<CodebookRegistry>.Instance);

        int loaded = registry.LoadFolder(_folder);

        Assert.Equal(1, loaded);
        Assert.Equal(FirstEntry().Id, Assert.Single(registry.All).Id.ToString());
    }

    [Fact]
    public void List_ByModel_FiltersOnTheModelTheCodebookWasTrainedFor()
    {
        var registry = new CodebookRegistry(NullLogger<CodebookRegistry>.Instance);
        registry.AddModelCodebooks(_manifest, "shapes-vqa");

        Assert.NotEmpty(registry.List("shapes-vqa"));
        Assert.NotEmpty(registry.List(null));
        Assert.Empty(registry.List("another-model"));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private CodebookEntry FirstEntry() => _manifest.Codebooks.Count > 0
        ? _manifest.Codebooks[0]
        : throw new InvalidOperationException("model.json lists no codebook (the model may be being retrained); rerun later");
}
