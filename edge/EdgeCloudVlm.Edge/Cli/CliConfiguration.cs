using System.CommandLine;
using EdgeCloudVlm.Edge.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeCloudVlm.Edge.Cli;

/// <summary>
/// Options every command shares. Configuration comes, later wins, from the agent folder's appsettings.json,
/// environment variables (<c>Edge__Uplink__Address=...</c>), each <c>--config</c> file, then each <c>--set Key=Value</c>.
/// </summary>
internal static class CliConfiguration
{
    public static readonly Option<string[]> ConfigFiles = new("--config", "-c")
    {
        Description = "Extra JSON configuration file (repeatable; later files win).",
        Arity = ArgumentArity.ZeroOrMore,
        Recursive = true,
        AllowMultipleArgumentsPerToken = false,
    };

    public static readonly Option<string[]> Settings = new("--set")
    {
        Description = "Configuration override Key=Value, e.g. --set Edge:Uplink:Address=http://cloud:8080 (repeatable).",
        Arity = ArgumentArity.ZeroOrMore,
        Recursive = true,
    };

    public static void Apply(IConfigurationBuilder configuration, ParseResult result)
    {
        foreach (string file in result.GetValue(ConfigFiles) ?? [])
        {
            configuration.AddJsonFile(Path.GetFullPath(file), optional: false, reloadOnChange: false);
        }

        var pairs = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (string setting in result.GetValue(Settings) ?? [])
        {
            int equals = setting.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new ArgumentException($"--set expects Key=Value, got '{setting}'");
            }

            pairs[setting[..equals].Trim()] = setting[(equals + 1)..];
        }

        configuration.AddInMemoryCollection(pairs);
    }

    /// <summary>A host for the one-shot commands: configuration, options and the shared parts; logs warnings and errors
    /// to standard error so standard output carries only the command's answer.</summary>
    public static IHost BuildOneShotHost(ParseResult result)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        Apply(builder.Configuration, result);
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        // Warnings and errors only, whatever the configuration's Logging section says (it is tuned for the daemon).
        builder.Services.PostConfigure<LoggerFilterOptions>(o =>
        {
            o.Rules.Clear();
            o.MinLevel = LogLevel.Warning;
        });
        builder.Services.AddEdgeCore();
        return builder.Build();
    }

    public static T Get<T>(this IHost host)
        where T : notnull => host.Services.GetRequiredService<T>();
}
