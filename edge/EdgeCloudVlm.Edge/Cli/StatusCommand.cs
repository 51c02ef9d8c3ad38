using System.CommandLine;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using EdgeCloudVlm.Edge.Inputs;
using EdgeCloudVlm.Edge.Results;
using EdgeCloudVlm.Edge.Spool;
using EdgeCloudVlm.Edge.State;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.Edge.Cli;

/// <summary>
/// <c>status [--json]</c>: asks the running agent on its loopback endpoint; when none answers, reads the state file
/// it last wrote and counts the spool on disk (read-only, without taking the spool's lock).
/// </summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("status", "Show spool depth, link state and the last errors of the agent (running or not).") { json };
        command.SetAction(async (result, cancellationToken) =>
        {
            TextWriter output = result.InvocationConfiguration.Output;
            try
            {
                using IHost host = CliConfiguration.BuildOneShotHost(result);
                return await ShowAsync(host, result.GetValue(json), output, cancellationToken);
            }
            catch (Exception ex) when (ex is ArgumentException or FileNotFoundException or InvalidDataException or OptionsValidationException)
            {
                await result.InvocationConfiguration.Error.WriteLineAsync($"error: {ex.Message}");
                return ExitCodes.InputError;
            }
        });
        return command;
    }

    private static async Task<int> ShowAsync(IHost host, bool json, TextWriter output, CancellationToken cancellationToken)
    {
        string stateFile = host.Get<IOptions<StatusOptions>>().Value.StateFile;
        StatusSnapshot? stored = null;
        try
        {
            stored = StateFileWriter.Read(stateFile);
        }
        catch (Exception ex) when (ex is IOException or JsonException)
        {
            // A state file being replaced right now; the live endpoint or the spool answers instead.
        }

        LocalEndpointOptions local = host.Get<IOptions<LocalEndpointOptions>>().Value;
        string endpoint = stored?.LocalEndpoint ?? $"http://{(local.Address.Contains(':', StringComparison.Ordinal) ? $"[{local.Address}]" : local.Address)}:{local.Port}";
        StatusSnapshot? live = null;
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
            live = await http.GetFromJsonAsync<StatusSnapshot>(new Uri(new Uri(endpoint), "/status"), ResultRecord.JsonOptions, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or UriFormatException)
        {
        }

        if (live is not null)
        {
            await output.WriteLineAsync(json ? JsonSerializer.Serialize(new { running = true, status = live }, ResultRecord.JsonOptions) : Describe(live, running: true));
            return ExitCodes.Success;
        }

        SpoolOptions spoolOptions = host.Get<IOptions<SpoolOptions>>().Value;
        int depth = 0;
        long bytes = 0;
        int segments = 0;
        if (Directory.Exists(spoolOptions.Directory))
        {
            using FrameSpool spool = FrameSpool.Inspect(spoolOptions, NullLogger.Instance);
            depth = spool.Depth;
            bytes = spool.Bytes;
            segments = spool.SegmentCount;
        }

        var offline = new SpoolStatus(spoolOptions.Directory, depth, bytes, spoolOptions.MaxBytes, segments, spoolOptions.FullPolicy.ToString());
        if (json)
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(new { running = false, spool = offline, last_state = stored }, ResultRecord.JsonOptions));
        }
        else
        {
            var text = new StringBuilder();
            text.AppendLine(CultureInfo.InvariantCulture, $"agent: not running (nothing answers at {endpoint})");
            text.AppendLine(CultureInfo.InvariantCulture, $"spool: {depth} frames awaiting a result, {bytes} of {offline.MaxBytes} bytes in {segments} segments ({offline.Directory})");
            if (stored is not null)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"last state written {stored.WrittenAt:u} by pid {stored.ProcessId}:");
                text.Append(Describe(stored, running: false));
            }

            await output.WriteLineAsync(text.ToString().TrimEnd());
        }

        return ExitCodes.FrameFailed;
    }

    private static string Describe(StatusSnapshot s, bool running)
    {
        var text = new StringBuilder();
        CultureInfo c = CultureInfo.InvariantCulture;
        if (running)
        {
            text.AppendLine(c, $"agent: running, pid {s.ProcessId}, since {s.StartedAt:u}, device {s.DeviceId}, version {s.AgentVersion}, endpoint {s.LocalEndpoint}");
        }

        text.AppendLine(c, $"link: {s.Link.State} since {s.Link.Since:u} to {s.CloudAddress}{(s.Link.Detail is null ? "" : $" ({s.Link.Detail})")}");
        text.AppendLine(c, $"spool: {s.Spool.Depth} frames awaiting a result, {s.Spool.Bytes} of {s.Spool.MaxBytes} bytes in {s.Spool.Segments} segments, policy {s.Spool.Policy}");
        text.AppendLine(c, $"uplink: {s.InFlight} in flight (window {s.Window}), {s.Queued} queued; pipeline holds {s.PipelineHeld}");
        text.AppendLine(c, $"model: {s.ModelId}, vision head {s.VisionHead}, codebook {s.CodebookId ?? "none"}, JPEG fallback {(s.FallbackAllowed ? "allowed" : "off")}");
        text.AppendLine(c, $"counters: {s.Counters.FramesTaken} taken, {s.Counters.ResultsDelivered} results, {s.Counters.Fallbacks} fallbacks, {s.Counters.Refused} refused");
        if (s.LastErrors.Count == 0)
        {
            text.AppendLine("last errors: none");
        }
        else
        {
            text.AppendLine("last errors:");
            foreach (StatusError e in s.LastErrors.TakeLast(10))
            {
                text.AppendLine(c, $"  {e.At:u} [{e.Component}] {e.Message}");
            }
        }

        return text.ToString();
    }
}
