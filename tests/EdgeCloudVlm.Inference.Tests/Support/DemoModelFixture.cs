using EdgeCloudVlm.Inference.Runtime;

namespace EdgeCloudVlm.Inference.Tests.Support;

/// <summary>The demo model loaded once on CPU and shared by the tests of <see cref="DemoModelCollection"/>.</summary>
public sealed class DemoModelFixture : IDisposable
{
    public DemoModelFixture()
    {
        Model = VlmModel.Load(ModelFolder.Path, new VlmModelOptions
        {
            Session = new OnnxSessionOptions { Provider = ExecutionProvider.Cpu, IntraOpThreads = 1 },
        });
    }

    public VlmModel Model { get; }

    public void Dispose() => Model.Dispose();
}

/// <summary>Tests that share the loaded demo model run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class DemoModelCollection : ICollectionFixture<DemoModelFixture>
{
    public const string Name = "demo model";
}
