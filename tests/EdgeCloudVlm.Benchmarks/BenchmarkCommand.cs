using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeCloudVlm.Benchmarks.Suites;

namespace EdgeCloudVlm.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project tests/EdgeCloudVlm.Benchmarks -- &lt;suite&gt; [--quick] --out &lt;file.json&gt;</c>:
/// runs one suite and writes one JSON object.
/// </summary>
internal static class BenchmarkCommand
{
    private static readonly Dictionary<string, Func<IBenchmarkSuite>> Suites = new(StringComparer.Ordinal)
    {
        ["codec"] = () => new CodecSuite(),
        ["e2e"] = () => new EndToEndSuite(),
        ["fidelity"] = () => new FidelitySuite(),
        ["reliability"] = () => new ReliabilitySuite(),
        ["resnet-fidelity"] = () => new ResNetFidelitySuite(),
        ["throughput"] = () => new ThroughputSuite(),
    };

    public static async Task<int> RunAsync(string[] args)
    {
        string? suiteName = null;
        string? output = null;
        var quick = false;
        var engineSettings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--out" when i + 1 < args.Length:
                    output = args[++i];
                    break;
                case "--engine" when i + 1 < args.Length && args[i + 1].Split('=', 2) is [{ Length: > 0 } name, var value]:
                    engineSettings[name] = value;
                    i++;
                    break;
                case var value when !value.StartsWith("--", StringComparison.Ordinal) && suiteName is null:
                    suiteName = value;
                    break;
                default:
                    return Usage($"Unexpected argument '{args[i]}'.");
            }
        }

        if (suiteName is null || !Suites.TryGetValue(suiteName, out var create))
        {
            return Usage(suiteName is null ? "No suite given." : $"Unknown suite '{suiteName}'.");
        }

        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };

        var suite = create();
        var log = new BenchmarkLog(Console.Error);
        JsonObject result;
        try
        {
            result = await suite.RunAsync(new BenchmarkContext(quick, log, engineSettings), cancellation.Token);
        }
        catch (BenchmarkUsageException ex)
        {
            return Usage(ex.Message);
        }

        ReplaceNonFiniteNumbers(result);
        result["suite"] = suiteName;
        result["quick"] = quick;
        result["machine"] = MachineDescription();
        var json = result.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        if (output is null)
        {
            Console.WriteLine(json);
        }
        else
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
            await File.WriteAllTextAsync(output, json + Environment.NewLine, cancellation.Token);
            log.Info($"wrote {output}");
        }

        return 0;
    }

    /// <summary>JSON has no NaN or infinity: a figure that could not be measured is written as null.</summary>
    private static void ReplaceNonFiniteNumbers(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(pair => pair.Key).ToList())
                {
                    if (obj[key] is JsonValue value && value.TryGetValue<double>(out var number) && !double.IsFinite(number))
                    {
                        obj[key] = null;
                    }
                    else
                    {
                        ReplaceNonFiniteNumbers(obj[key]);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    ReplaceNonFiniteNumbers(item);
                }

                break;
        }
    }

    private static JsonObject MachineDescription() => new()
    {
        ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
        ["architecture"] = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString(),
        ["processors"] = Environment.ProcessorCount,
        ["runtime"] = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
    };

    private static int Usage(string problem)
    {
        Console.Error.WriteLine(problem);
        Console.Error.WriteLine($"usage: EdgeCloudVlm.Benchmarks <{string.Join('|', Suites.Keys)}> [--quick] [--engine Name=Value ...] --out <file.json>");
        Console.Error.WriteLine("  --engine sets one of the cloud engine's options (section Engine) for suite throughput, e.g. --engine ImageWorkers=2");
        return 2;
    }
}

/// <summary>A suite found its command-line arguments unusable; the command prints the message and its usage.</summary>
internal sealed class BenchmarkUsageException(string message) : Exception(message);

/// <summary>One benchmark suite: produces the JSON object its contract names.</summary>
internal interface IBenchmarkSuite
{
    Task<JsonObject> RunAsync(BenchmarkContext context, CancellationToken cancellationToken);
}

/// <summary>What every suite gets: quick mode, a progress log on standard error, and engine options given on the
/// command line (<c>--engine Name=Value</c>, names as in the configuration section <c>Engine</c>).</summary>
internal sealed record BenchmarkContext(bool Quick, BenchmarkLog Log, IReadOnlyDictionary<string, string?> EngineSettings);

/// <summary>Progress lines on standard error, so standard output stays JSON.</summary>
internal sealed class BenchmarkLog(TextWriter writer)
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    public void Info(string message) => writer.WriteLine($"[{_clock.Elapsed.TotalSeconds,7:F1}s] {message}");
}
