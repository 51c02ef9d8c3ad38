using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EdgeCloudVlm.Deployment.Tests.Support;
using Xunit.Abstractions;

namespace EdgeCloudVlm.Deployment.Tests.Docker;

/// <summary>A scratch folder for the publishes, with one artifacts folder so the three share restore and builds.</summary>
public sealed class PublishFolder : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("ecv-publish-").FullName;

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

/// <summary>
/// <c>docker/publish.sh</c>, the script every image builds with, run here for each image's architecture; then what the
/// Dockerfiles expect of its output: the entry point assembly, the shared frameworks the base image must provide,
/// appsettings.json, the natives for that architecture, the files the image stages delete, and the CUDA generation
/// the GPU natives were built for against the CUDA base image.
/// </summary>
[Trait("Category", "Publish")]
public sealed class PublishTests(PublishFolder folder, ITestOutputHelper output) : IClassFixture<PublishFolder>
{
    private const ushort X64 = 0x3E;
    private const ushort Arm64 = 0xB7;

    [Fact]
    public async Task Publish_CloudLinuxX64_HasWhatBothCloudImagesUse()
    {
        string app = await PublishAsync("cloud", "amd64");
        Dockerfile file = Dockerfile.Load(Path.Combine(RepositoryPaths.Docker, "cloud.Dockerfile"));

        CheckEntryPoint(file, "cloud-cpu", app);
        CheckEntryPoint(file, "cloud-gpu", app);
        CheckFrameworks(file, app, "Microsoft.NETCore.App", "Microsoft.AspNetCore.App");
        Assert.True(File.Exists(Path.Combine(app, "appsettings.json")));
        Assert.Equal(X64, ElfMachine(Path.Combine(app, "libonnxruntime.so")));
        foreach (string removed in file.RemovedFiles("build-cpu"))
        {
            Assert.True(File.Exists(Path.Combine(app, Path.GetRelativePath("/app", removed))), $"the CPU stage deletes {removed}, which the publish lacks");
        }

        // The CUDA provider names the CUDA runtime generation it was linked against; the GPU base image must match.
        string cudaImage = file.GlobalArgs["CUDA_IMAGE"];
        Match tag = Regex.Match(cudaImage, @"^nvidia/cuda:(?<major>\d+)\.\d+\.\d+-cudnn-runtime-");
        Assert.True(tag.Success, $"CUDA_IMAGE {cudaImage} is not an NVIDIA CUDA runtime image with cuDNN");
        string needed = NeededCudaRuntime(Path.Combine(app, "libonnxruntime_providers_cuda.so"));
        Assert.Equal($"libcudart.so.{tag.Groups["major"].Value}", needed);
    }

    [Theory]
    [InlineData("amd64", X64)]
    [InlineData("arm64", Arm64)]
    public async Task Publish_EdgeLinux_HasWhatTheEdgeImagesUse(string architecture, ushort machine)
    {
        string app = await PublishAsync("edge", architecture);
        Dockerfile edge = Dockerfile.Load(Path.Combine(RepositoryPaths.Docker, "edge.Dockerfile"));

        CheckEntryPoint(edge, "edge", app);
        CheckFrameworks(edge, app, "Microsoft.NETCore.App", "Microsoft.AspNetCore.App");
        Assert.True(File.Exists(Path.Combine(app, "appsettings.json")));
        Assert.Equal(machine, ElfMachine(Path.Combine(app, "libonnxruntime.so")));

        if (machine == Arm64)
        {
            // The Jetson image replaces the CPU natives with its own ONNX Runtime build; they must be where it looks.
            Dockerfile jetson = Dockerfile.Load(Path.Combine(RepositoryPaths.Docker, "edge-jetson.Dockerfile"));
            CheckEntryPoint(jetson, "edge-jetson", app);
            List<string> removed = [.. jetson.RemovedFiles("build")];
            Assert.Contains("/app/libonnxruntime.so", removed);
            foreach (string file in removed)
            {
                Assert.True(File.Exists(Path.Combine(app, Path.GetRelativePath("/app", file))), $"the Jetson image deletes {file}, which the publish lacks");
            }
        }
    }

    private async Task<string> PublishAsync(string service, string architecture)
    {
        string app = Path.Combine(folder.Root, $"{service}-{architecture}");
        ProcessResult result = await ProcessRunner.RunAsync("bash",
            [Path.Combine(RepositoryPaths.Docker, "publish.sh"), service, architecture, app,
                "--artifacts-path", Path.Combine(folder.Root, "artifacts")],
            TimeSpan.FromMinutes(15));
        output.WriteLine($"docker/publish.sh {service} {architecture}: exit {result.ExitCode} in {result.Duration.TotalSeconds:F1} s");
        Assert.True(result.Succeeded, result.Output);
        return app;
    }

    /// <summary>The ENTRYPOINT's assembly is in the publish output (which the stage copies to /app).</summary>
    private static void CheckEntryPoint(Dockerfile file, string stage, string app)
    {
        string[] entry = file.ExecForm(stage, "ENTRYPOINT") ?? throw new Xunit.Sdk.XunitException($"{file.FileName} ({stage}) has no ENTRYPOINT");
        string assembly = entry[^1];
        Assert.StartsWith("/app/", assembly, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(app, assembly["/app/".Length..])), $"{file.FileName} ({stage}) starts {assembly}, which the publish lacks");
        Assert.True(File.Exists(Path.Combine(app, Path.ChangeExtension(assembly["/app/".Length..], ".runtimeconfig.json"))));
    }

    /// <summary>The app's shared frameworks are exactly what an ASP.NET Core runtime image of that version carries.</summary>
    private static void CheckFrameworks(Dockerfile file, string app, params string[] expected)
    {
        string config = Directory.GetFiles(app, "*.runtimeconfig.json").Single();
        JsonNode options = JsonNode.Parse(File.ReadAllText(config))!["runtimeOptions"]!;
        JsonNode[] frameworks = [.. (options["frameworks"]?.AsArray() ?? [options["framework"]!]).Select(f => f!)];
        Assert.Equal(expected.Order(StringComparer.Ordinal), frameworks.Select(f => (string)f["name"]!).Order(StringComparer.Ordinal));
        string dotnet = file.GlobalArgs["DOTNET_VERSION"];
        foreach (JsonNode framework in frameworks)
        {
            Assert.StartsWith(dotnet + ".", (string)framework["version"]!, StringComparison.Ordinal);
        }

        Assert.Contains(file.Instructions, i => i.Keyword == "FROM" && i.Arguments.Contains("mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION}", StringComparison.Ordinal));
    }

    /// <summary>e_machine of an ELF file.</summary>
    private static ushort ElfMachine(string path)
    {
        Span<byte> header = stackalloc byte[20];
        using FileStream stream = File.OpenRead(path);
        stream.ReadExactly(header);
        Assert.True(header[..4].SequenceEqual("\u007fELF"u8), $"{path} is not an ELF file");
        return (ushort)(header[18] | (header[19] << 8));
    }

    /// <summary>The libcudart soname a shared library was linked against (read from its dynamic string table).</summary>
    private static string NeededCudaRuntime(string path)
    {
        byte[] pattern = "libcudart.so."u8.ToArray();
        using FileStream stream = File.OpenRead(path);
        byte[] buffer = new byte[1 << 20];
        int carry = 0;
        int read;
        while ((read = stream.Read(buffer, carry, buffer.Length - carry)) > 0)
        {
            int length = carry + read;
            int at = buffer.AsSpan(0, length).IndexOf(pattern);
            if (at >= 0 && at + pattern.Length + 4 <= length)
            {
                int end = at + pattern.Length;
                while (end < length && char.IsAsciiDigit((char)buffer[end]))
                {
                    end++;
                }

                return Encoding.ASCII.GetString(buffer, at, end - at);
            }

            // Keep the tail so a name split across two reads is still found.
            carry = Math.Min(64, length);
            Array.Copy(buffer, length - carry, buffer, 0, carry);
        }

        throw new Xunit.Sdk.XunitException($"{path} names no libcudart");
    }
}
