using System.Text.Json;
using EdgeCloudVlm.Edge.Results;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.Edge.State;

/// <summary>Writes the status snapshot to the state file periodically and at shutdown (atomically: temp + rename).</summary>
public sealed class StateFileWriter(StatusReporter reporter, IOptions<StatusOptions> options, TimeProvider time) : BackgroundService
{
    public static void Write(string path, StatusSnapshot snapshot)
    {
        string temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(snapshot, ResultRecord.JsonOptions));
        File.Move(temp, path, overwrite: true);
    }

    public static StatusSnapshot? Read(string path) =>
        File.Exists(path) ? JsonSerializer.Deserialize<StatusSnapshot>(File.ReadAllText(path), ResultRecord.JsonOptions) : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string path = options.Value.StateFile;
        using var timer = new PeriodicTimer(options.Value.WriteInterval, time);
        try
        {
            do
            {
                TryWrite(path);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            TryWrite(path);
        }
    }

    private void TryWrite(string path)
    {
        try
        {
            Write(path, reporter.Snapshot());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Status is best effort; the agent's work does not depend on it.
        }
    }
}
