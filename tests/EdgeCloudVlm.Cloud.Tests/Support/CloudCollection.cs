using EdgeCloudVlm.Codec.Codebooks;

namespace EdgeCloudVlm.Cloud.Tests.Support;

/// <summary>
/// The demo model for reference answers plus one in-process and one Kestrel-hosted service, started once and shared by
/// the integration tests (loading ONNX sessions is the slow part). Both services also serve a second codebook for the
/// demo model from a codebook folder: a copy of the shipped one with different training metadata, hence another id.
/// </summary>
public sealed class CloudFixture : IAsyncLifetime
{
    private readonly string _codebookFolder = Directory.CreateTempSubdirectory("ecv-cloud-codebooks-").FullName;

    public DemoModel Model { get; private set; } = null!;

    /// <summary>The id of the extra codebook in the codebook folder.</summary>
    public CodebookId VariantCodebookId { get; private set; }

    public CloudFactory InProcess { get; private set; } = null!;

    public CloudFactory Kestrel { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Model = new DemoModel();
        CodebookDocument document = CodebookFile.Load(Model.CodebookPath).Document;
        document.Training.Seed++;
        Codebook variant = CodebookFile.Create(document);
        CodebookFile.Save(variant, Path.Combine(_codebookFolder, "variant" + CodebookFile.Extension));
        VariantCodebookId = variant.Id;

        var settings = new Dictionary<string, string?> { ["Codebooks:Folder"] = _codebookFolder };
        InProcess = new CloudFactory(settings: settings);
        Kestrel = new CloudFactory(kestrel: true, settings: settings);
        await InProcess.StartAsync();
        await Kestrel.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await InProcess.DisposeAsync();
        await Kestrel.DisposeAsync();
        Model.Dispose();
        Directory.Delete(_codebookFolder, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class CloudCollection : ICollectionFixture<CloudFixture>
{
    public const string Name = "cloud service";
}
