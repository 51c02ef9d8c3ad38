using EdgeCloudVlm.Edge.Hosting;
using EdgeCloudVlm.Edge.Results;
using EdgeCloudVlm.Edge.Spool;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeCloudVlm.Edge.Tests.Support;

/// <summary>The agent's daemon in process, registered exactly as <c>ecv-edge run</c> does, with test settings.</summary>
internal sealed class EdgeHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EdgeHost(WebApplication app, string dataDirectory)
    {
        _app = app;
        DataDirectory = dataDirectory;
    }

    public string DataDirectory { get; }

    public string ResultsPath => Path.Combine(DataDirectory, "results.jsonl");

    public IServiceProvider Services => _app.Services;

    public FrameSpool Spool => Services.GetRequiredService<FrameSpool>();

    /// <summary>Test settings for an agent talking to <paramref name="cloud"/>: fast reconnects, a private data folder.</summary>
    public static Dictionary<string, string?> Settings(string dataDirectory, Uri cloud, string? apiKey = CloudHost.EdgeKey) => new()
    {
        ["Edge:DeviceId"] = "integration-device",
        ["Edge:ModelFolder"] = RepositoryLayout.DemoModel,
        ["Edge:Codec:CodebookId"] = Repo.DemoCodebook.Id,
        ["Edge:DataDirectory"] = dataDirectory,
        ["Edge:Uplink:Address"] = cloud.ToString(),
        ["Edge:Uplink:ApiKey"] = apiKey,
        ["Edge:Uplink:RetryBaseDelay"] = "00:00:00.200",
        ["Edge:Uplink:RetryMaxDelay"] = "00:00:01",
        ["Edge:Uplink:BreakerBreakDuration"] = "00:00:01",
        ["Edge:Uplink:AckInterval"] = "00:00:00.200",
        ["Edge:Http:Port"] = "0",
        ["Edge:Watch:SettleTime"] = "00:00:00.200",
        ["Edge:Watch:RescanInterval"] = "00:00:00.500",
        ["Edge:Status:WriteInterval"] = "00:00:00.500",
        ["Shutdown:DrainSeconds"] = "2",
        ["Shutdown:ReadinessDelaySeconds"] = "0",
        ["Logging:LogLevel:Default"] = "Warning",
    };

    public static async Task<EdgeHost> StartAsync(Dictionary<string, string?> settings)
    {
        string contentRoot = Path.Combine(settings["Edge:DataDirectory"]!, "content");
        Directory.CreateDirectory(contentRoot);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = contentRoot,
            EnvironmentName = "Testing",
            Args = [],
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddEdgeAgent();
        WebApplication app = builder.Build();
        app.UseEdgeAgent();
        await app.StartAsync();
        return new EdgeHost(app, settings["Edge:DataDirectory"]!);
    }

    /// <summary>Result lines written so far.</summary>
    public IReadOnlyList<ResultRecord> Results() => ReadResults(ResultsPath);

    public static IReadOnlyList<ResultRecord> ReadResults(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var list = new List<ResultRecord>();
        while (reader.ReadLine() is { } line)
        {
            try
            {
                if (line.Length > 0)
                {
                    list.Add(ResultRecord.FromJson(line)!);
                }
            }
            catch (System.Text.Json.JsonException) when (reader.EndOfStream)
            {
                // The agent is writing this very line.
            }
        }

        return list;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
