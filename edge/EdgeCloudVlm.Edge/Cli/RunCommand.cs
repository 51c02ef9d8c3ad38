using System.CommandLine;
using EdgeCloudVlm.Edge.Hosting;
using Microsoft.AspNetCore.Builder;

namespace EdgeCloudVlm.Edge.Cli;

/// <summary><c>run</c>: the daemon (under systemd: Type=notify, logs to the journal).</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var command = new Command("run", "Run the agent: watched folder and loopback HTTP intake, spool, uplink, result sinks.");
        command.SetAction(async (result, cancellationToken) =>
        {
            WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
            {
                ContentRootPath = AppContext.BaseDirectory,
                Args = [],
            });
            try
            {
                CliConfiguration.Apply(builder.Configuration, result);
            }
            catch (Exception ex) when (ex is ArgumentException or FileNotFoundException or InvalidDataException)
            {
                await result.InvocationConfiguration.Error.WriteLineAsync($"error: {ex.Message}");
                return ExitCodes.InputError;
            }

            builder.AddEdgeAgent();
            await using WebApplication app = builder.Build();
            app.UseEdgeAgent();
            await app.RunAsync();
            return ExitCodes.Success;
        });
        return command;
    }
}
