namespace EdgeCloudVlm.Benchmarks.Reliability;

/// <summary>A small tmpfs mounted for one scenario (needs root): a disk that really fills up.</summary>
internal sealed class Tmpfs : IDisposable
{
    private Tmpfs(string path) => Path = path;

    public string Path { get; }

    public static async Task<Tmpfs> MountAsync(string path, int kib, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(path);
        (int code, string output) = await ExternalCommand.RunAsync(["mount", "-t", "tmpfs", "-o", $"size={kib}k,mode=0755", "tmpfs", path], cancellationToken);
        return code == 0 ? new Tmpfs(path) : throw new InvalidOperationException($"cannot mount a tmpfs at {path} (root needed): {output}");
    }

    public long FreeBytes() => new DriveInfo(Path).AvailableFreeSpace;

    public void Dispose() => ExternalCommand.TryRun(["umount", "-l", Path], out _);
}
