using EdgeCloudVlm.Fuzz;
using EdgeCloudVlm.Fuzz.Inputs;
using EdgeCloudVlm.Fuzz.Targets;

// ecv-fuzz afl <frame|frame-sealed|codebook|image>   the AFL++ target (SharpFuzz out-of-process mode); see docs/fuzzing.md
// ecv-fuzz seeds <frame|codebook|image> <dir>   writes the seed corpus for afl-fuzz -i
// ecv-fuzz replay <frame|codebook|image> <file|dir>...   runs saved inputs (AFL++ crashes/, hangs/) and prints outcomes
// ecv-fuzz campaign <frame|codebook|image> <cases>        CsCheck campaign in process, prints the counts
// Every command takes --model <folder> (default: models/shapes-vqa above the working directory).
string? model = null;
var rest = new List<string>();
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--model" && i + 1 < args.Length)
    {
        model = args[++i];
    }
    else
    {
        rest.Add(args[i]);
    }
}

if (rest.Count < 2)
{
    Console.Error.WriteLine("usage: ecv-fuzz <afl|seeds|replay|campaign> <frame|codebook|image> [args] [--model <folder>]");
    return 2;
}

// frame-sealed (AFL only) recomputes the frame's trailing CRC-32 before parsing, so that AFL's mutations get past the
// checksum and reach the payload decoders, as the CsCheck generators' resealed frames do.
bool sealFrames = rest[0] == "afl" && rest[1] == "frame-sealed";
if (sealFrames)
{
    rest[1] = "frame";
}

if (rest[1] is not ("frame" or "codebook" or "image"))
{
    Console.Error.WriteLine($"unknown target '{rest[1]}' (frame, codebook, image; frame-sealed for afl)");
    return 2;
}

if (rest[0] == "afl")
{
    // Under SharpFuzz the assemblies under test are instrumented, and instrumented code may only run inside the
    // fuzzer's callback (outside it the coverage map does not exist yet): the subjects are loaded on the first input.
    IFuzzTarget? aflTarget = null;
    SharpFuzz.Fuzzer.OutOfProcess.Run(stream =>
    {
        aflTarget ??= Create(rest[1], FuzzSubjects.Load(model));
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        byte[] input = buffer.ToArray();
        if (sealFrames && input.Length >= 8)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(input.AsSpan(input.Length - 4),
                System.IO.Hashing.Crc32.HashToUInt32(input.AsSpan(0, input.Length - 4)));
        }

        aflTarget.Run(input);
    });
    return 0;
}

FuzzSubjects subjects = FuzzSubjects.Load(model);
IFuzzTarget target = Create(rest[1], subjects);

switch (rest[0])
{
    case "seeds" when rest.Count == 3:
        Directory.CreateDirectory(rest[2]);
        IReadOnlyList<byte[]> seeds = SeedCorpus.For(target.Name, subjects);
        for (int i = 0; i < seeds.Count; i++)
        {
            File.WriteAllBytes(Path.Combine(rest[2], $"seed-{i:D2}"), seeds[i]);
        }

        Console.WriteLine($"{seeds.Count} seeds written to {rest[2]}");
        return 0;

    case "replay":
        int failures = 0;
        foreach (string path in rest.Skip(2).SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p) : [p]).Order(StringComparer.Ordinal))
        {
            try
            {
                Console.WriteLine($"{path}: {target.Run(File.ReadAllBytes(path))}");
            }
            catch (Exception ex)
            {
                failures++;
                Console.WriteLine($"{path}: CRASH {ex}");
            }
        }

        return failures == 0 ? 0 : 1;

    case "campaign" when rest.Count == 3 && long.TryParse(rest[2], out long cases):
        FuzzReport report = FuzzCampaign.Run(target, new FuzzInputs(subjects).For(target.Name), cases, threads: 1, TimeSpan.FromSeconds(5));
        Console.WriteLine(report);
        foreach (string finding in report.Findings)
        {
            Console.WriteLine(finding);
        }

        return report.Crashes + report.Hangs == 0 ? 0 : 1;

    default:
        Console.Error.WriteLine("usage: ecv-fuzz <afl|seeds|replay|campaign> <frame|codebook|image> [args] [--model <folder>]");
        return 2;
}

static IFuzzTarget Create(string name, FuzzSubjects subjects) => name switch
{
    "frame" => new FrameTarget(subjects),
    "codebook" => new CodebookTarget(),
    _ => new ImageTarget(subjects),
};
