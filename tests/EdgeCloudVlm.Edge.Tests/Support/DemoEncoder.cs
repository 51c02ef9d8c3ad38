using System.Diagnostics.Metrics;
using EdgeCloudVlm.Edge.Codebooks;
using EdgeCloudVlm.Edge.Hosting;
using EdgeCloudVlm.Edge.Pipeline;
using EdgeCloudVlm.Edge.State;
using EdgeCloudVlm.Edge.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.Edge.Tests.Support;

/// <summary>The real encoder over the demo model, assembled by hand.</summary>
internal sealed class DemoEncoder : IDisposable
{
    private readonly ServiceProvider _services;

    public DemoEncoder(CodecOptions? codec = null, bool loadCodebook = true)
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        Telemetry = new EdgeTelemetry(_services.GetRequiredService<IMeterFactory>());
        Status = new AgentStatus(TimeProvider.System);
        var edge = new EdgeOptions { DeviceId = "device-1", ModelFolder = RepositoryLayout.DemoModel };
        Head = VisionHead.Load(RepositoryLayout.DemoModel, edge, NullLoggerFactory.Instance);
        Codec = codec ?? new CodecOptions { CodebookId = Repo.DemoCodebook.Id, Directory = Repo.DemoCodebooks };
        Codebooks = new CodebookStore(Options.Create(Codec), Status, NullLogger<CodebookStore>.Instance);
        if (loadCodebook)
        {
            Codebooks.LoadLocal(Head.Manifest);
        }

        Encoder = new FrameEncoder(Head, Codebooks, Options.Create(Codec), Options.Create(edge), Telemetry, Status, TimeProvider.System, NullLogger<FrameEncoder>.Instance);
    }

    public EdgeTelemetry Telemetry { get; }

    public AgentStatus Status { get; }

    public VisionHead Head { get; }

    public CodecOptions Codec { get; }

    public CodebookStore Codebooks { get; }

    public FrameEncoder Encoder { get; }

    public IMeterFactory MeterFactory => _services.GetRequiredService<IMeterFactory>();

    public static CaptureRequest Request(byte[] image, string id = "frame-1", string question = "what color is the square?") => new()
    {
        FrameId = id,
        Image = image,
        Question = question,
        Source = "test",
        CapturedAt = TestFrames.Created,
    };

    public void Dispose()
    {
        Head.Dispose();
        _services.Dispose();
    }
}
