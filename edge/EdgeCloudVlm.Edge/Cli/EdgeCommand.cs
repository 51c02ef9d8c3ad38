using System.CommandLine;

namespace EdgeCloudVlm.Edge.Cli;

/// <summary>The root command.</summary>
internal static class EdgeCommand
{
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand(
            "EdgeCloudVlm edge agent: runs the vision head, compresses with AlignedVQ, spools durably and streams frames to the cloud.")
        {
            RunCommand.Create(),
            AskCommand.Create(),
            CodebookCommand.Create(),
            StatusCommand.Create(),
        };
        root.Options.Add(CliConfiguration.ConfigFiles);
        root.Options.Add(CliConfiguration.Settings);
        return root;
    }

    /// <summary>The host handles SIGTERM/SIGINT itself (graceful drain, systemd's stop), so System.CommandLine must not
    /// kill the process after its own short timeout.</summary>
    public static InvocationConfiguration Invocation(TextWriter? output = null, TextWriter? error = null)
    {
        var configuration = new InvocationConfiguration { ProcessTerminationTimeout = null };
        if (output is not null)
        {
            configuration.Output = output;
        }

        if (error is not null)
        {
            configuration.Error = error;
        }

        return configuration;
    }
}
