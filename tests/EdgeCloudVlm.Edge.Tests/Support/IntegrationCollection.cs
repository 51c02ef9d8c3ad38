namespace EdgeCloudVlm.Edge.Tests.Support;

/// <summary>Tests against the real cloud share one running instance and run one after another (they are CPU-bound,
/// and the outage and kill tests must not race other agents for the machine).</summary>
[CollectionDefinition(Name)]
public sealed class IntegrationCollection : ICollectionFixture<CloudFixture>
{
    public const string Name = "integration";
}

/// <summary>One cloud on loopback for the integration collection.</summary>
public sealed class CloudFixture : IAsyncLifetime
{
    private CloudHost? _cloud;

    internal CloudHost Cloud => _cloud ?? throw new InvalidOperationException("the cloud has not started");

    public async Task InitializeAsync() => _cloud = await CloudHost.StartAsync();

    public async Task DisposeAsync()
    {
        if (_cloud is not null)
        {
            await _cloud.DisposeAsync();
        }
    }
}
