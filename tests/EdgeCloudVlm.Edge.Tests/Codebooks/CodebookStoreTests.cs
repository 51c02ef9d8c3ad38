using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Edge.Codebooks;
using EdgeCloudVlm.Edge.State;
using EdgeCloudVlm.Edge.Tests.Support;
using EdgeCloudVlm.Inference.Manifest;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.Edge.Tests.Codebooks;

public sealed class CodebookStoreTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly ModelManifest _manifest = ModelManifest.Parse(File.ReadAllText(Path.Combine(RepositoryLayout.DemoModel, "model.json")), RepositoryLayout.DemoModel) with
    {
        Codebooks = [new CodebookEntry { File = Path.GetRelativePath(RepositoryLayout.DemoModel, Repo.DemoCodebook.Path), Id = Repo.DemoCodebook.Id }],
    };

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void LoadLocal_ManifestCodebook_ActivatedWithItsId()
    {
        var status = new AgentStatus(TimeProvider.System);
        CodebookStore store = Create(new CodecOptions { Directory = _temp.Path }, status);

        Assert.True(store.LoadLocal(_manifest));

        Assert.Equal(_manifest.Codebooks[0].Id, store.ActiveId);
        Assert.NotNull(store.Codec);
        Assert.Empty(status.LastErrors());
    }

    [Fact]
    public void LoadLocal_FileWhoseHashIsNotTheConfiguredId_RefusedAndNeverUsed()
    {
        // The demo codebook saved under another id, as a tampered or mixed-up download would be.
        string wrongId = new('7', 64);
        File.Copy(_manifest.ResolvePath(_manifest.Codebooks[0].File), Path.Combine(_temp.Path, wrongId + CodebookFile.Extension));
        var status = new AgentStatus(TimeProvider.System);
        CodebookStore store = Create(new CodecOptions { Directory = _temp.Path, CodebookId = wrongId }, status);

        Assert.False(store.LoadLocal(_manifest));

        Assert.Null(store.Codec);
        Assert.Null(store.ActiveId);
        StatusError error = Assert.Single(status.LastErrors());
        Assert.Contains("is not the expected id " + wrongId, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadLocal_ManifestIdDoesNotMatchTheFile_Refused()
    {
        ModelManifest lying = _manifest with { Codebooks = [_manifest.Codebooks[0] with { Id = new string('1', 64) }] };
        var status = new AgentStatus(TimeProvider.System);
        CodebookStore store = Create(new CodecOptions { Directory = _temp.Path }, status);

        Assert.False(store.LoadLocal(lying));
        Assert.Null(store.Codec);
        Assert.Contains("refused", Assert.Single(status.LastErrors()).Message, StringComparison.Ordinal);
    }

    private static CodebookStore Create(CodecOptions options, AgentStatus status) =>
        new(Options.Create(options), status, NullLogger<CodebookStore>.Instance);
}
