using EdgeCloudVlm.Cloud.Models;
using EdgeCloudVlm.Cloud.Tests.Support;

namespace EdgeCloudVlm.Cloud.Tests.Models;

public sealed class DemoModelLocatorTests
{
    [Fact]
    public void Find_FromAFolderInsideTheRepository_ReturnsTheDemoModel()
    {
        string? found = DemoModelLocator.Find(null, Path.Combine(RepositoryLayout.Root, "cloud", "EdgeCloudVlm.Cloud"));

        Assert.Equal(Path.GetFullPath(RepositoryLayout.DemoModel), found);
    }

    [Fact]
    public void Find_OutsideAnyRepository_ReturnsNull()
    {
        Assert.Null(DemoModelLocator.Find("/"));
    }

    [Fact]
    public void Validate_FolderWithoutManifest_FailsNamingTheSetting()
    {
        var options = new ModelCatalogOptions { Folders = { "/nonexistent/model" } };

        var result = new ModelCatalogOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Models:Folders:0", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NoFolder_FailsWithAHint()
    {
        var result = new ModelCatalogOptionsValidator().Validate(null, new ModelCatalogOptions());

        Assert.True(result.Failed);
        Assert.Contains("Models:Folders", result.FailureMessage, StringComparison.Ordinal);
    }
}
