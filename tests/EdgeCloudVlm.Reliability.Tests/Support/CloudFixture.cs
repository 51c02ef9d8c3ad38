namespace EdgeCloudVlm.Reliability.Tests.Support;

/// <summary>One cloud for the tests that only call it: loading the demo model is the slow part.</summary>
public sealed class CloudFixture : IAsyncLifetime
{
    private CloudApp? _cloud;

    internal CloudApp Cloud => _cloud ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _cloud = await CloudApp.StartAsync();

    public async Task DisposeAsync()
    {
        if (_cloud is not null)
        {
            await _cloud.DisposeAsync();
        }
    }
}

/// <summary>Tests that share the <see cref="CloudFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class CloudCollection : ICollectionFixture<CloudFixture>
{
    public const string Name = "cloud";
}
