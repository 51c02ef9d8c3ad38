using EdgeCloudVlm.Edge.Codebooks;
using EdgeCloudVlm.Edge.Results;
using EdgeCloudVlm.Edge.Spool;
using EdgeCloudVlm.Edge.State;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.Edge.Hosting;

/// <summary>
/// Fills paths left empty from <see cref="EdgeOptions.DataDirectory"/> and makes every configured path absolute
/// (relative to the working directory, as a command line user expects; under systemd that is WorkingDirectory=).
/// </summary>
internal sealed class EdgePathDefaults(IOptions<EdgeOptions> edge) :
    IPostConfigureOptions<CodecOptions>,
    IPostConfigureOptions<SpoolOptions>,
    IPostConfigureOptions<ResultsOptions>,
    IPostConfigureOptions<StatusOptions>
{
    private string Data => edge.Value.DataDirectory;

    public void PostConfigure(string? name, CodecOptions options) =>
        options.Directory = Resolve(options.Directory, "codebooks");

    public void PostConfigure(string? name, SpoolOptions options) =>
        options.Directory = Resolve(options.Directory, "spool");

    public void PostConfigure(string? name, ResultsOptions options)
    {
        // null means "not configured": the default file; an empty string switches the file sink off.
        if (options.JsonLinesPath is null)
        {
            options.JsonLinesPath = Path.Combine(Data, "results.jsonl");
        }
        else if (options.JsonLinesPath.Length > 0)
        {
            options.JsonLinesPath = Path.GetFullPath(options.JsonLinesPath);
        }
    }

    public void PostConfigure(string? name, StatusOptions options) =>
        options.StateFile = Resolve(options.StateFile, "state.json");

    private string Resolve(string configured, string defaultName) =>
        Path.GetFullPath(string.IsNullOrWhiteSpace(configured) ? Path.Combine(Data, defaultName) : configured);
}

/// <summary>Defaults of <see cref="EdgeOptions"/> itself: the data directory and the model folder.</summary>
internal sealed class EdgeOptionsDefaults : IPostConfigureOptions<EdgeOptions>
{
    public const string DemoModel = "models/shapes-vqa";

    public void PostConfigure(string? name, EdgeOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            string? state = Environment.GetEnvironmentVariable("STATE_DIRECTORY");
            options.DataDirectory = string.IsNullOrEmpty(state) ? "ecv-edge-data" : state.Split(':')[0];
        }

        options.DataDirectory = Path.GetFullPath(options.DataDirectory);
        options.ModelFolder = string.IsNullOrWhiteSpace(options.ModelFolder)
            ? FindDemoModel(Environment.CurrentDirectory, AppContext.BaseDirectory)
            : Path.GetFullPath(options.ModelFolder);
    }

    /// <summary>The repository's demo model above one of the start folders, for a checkout that runs as it is.</summary>
    public static string? FindDemoModel(params string[] starts)
    {
        foreach (string start in starts)
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, DemoModel);
                if (File.Exists(Path.Combine(candidate, "model.json")))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
