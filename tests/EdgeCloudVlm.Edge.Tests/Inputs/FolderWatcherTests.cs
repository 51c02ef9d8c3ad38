using EdgeCloudVlm.Edge.Hosting;
using EdgeCloudVlm.Edge.Inputs;
using EdgeCloudVlm.Edge.Pipeline;
using EdgeCloudVlm.Edge.State;
using EdgeCloudVlm.Edge.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.Edge.Tests.Inputs;

public sealed class FolderWatcherTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly RecordingIntake _intake = new();
    private readonly string _folder;
    private readonly byte[] _image = File.ReadAllBytes(Path.Combine(RepositoryLayout.DemoModel, "eval", "images", "0000.png"));

    public FolderWatcherTests()
    {
        _folder = _temp.Folder("watch");
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Run_FilesPresentDroppedAndRenamedIn_EachTakenOnceAndMovedToProcessed()
    {
        for (int i = 0; i < 5; i++)
        {
            File.WriteAllBytes(Path.Combine(_folder, $"before-{i}.png"), Unique(i));
        }

        File.WriteAllText(Path.Combine(_folder, "notes.txt"), "not an image");
        using FolderWatcher watcher = Create(settle: TimeSpan.FromMilliseconds(200), rescan: TimeSpan.FromMilliseconds(150));
        await watcher.StartAsync(CancellationToken.None);
        for (int i = 0; i < 10; i++)
        {
            File.WriteAllBytes(Path.Combine(_folder, $"drop-{i}.png"), Unique(100 + i));
            string temp = Path.Combine(_folder, $".incoming-{i}.tmp");
            File.WriteAllBytes(temp, Unique(200 + i));
            File.Move(temp, Path.Combine(_folder, $"renamed-{i}.png"));
        }

        await Eventually.TrueAsync(() => Files.Count(Path.Combine(_folder, "processed")) == 25, "25 files processed");

        // Several more scans must not take anything again.
        int scansBefore = _intake.Requests.Count;
        await Task.Delay(600);
        await watcher.StopAsync(CancellationToken.None);

        Assert.Equal(25, scansBefore);
        Assert.Equal(25, _intake.Requests.Count);
        Assert.Equal(25, _intake.Requests.Select(r => r.FrameId).Distinct().Count());
        Assert.Equal(["notes.txt"], Directory.GetFiles(_folder).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Run_SidecarQuestion_UsedElseTheDefault()
    {
        File.WriteAllBytes(Path.Combine(_folder, "a.png"), Unique(1));
        File.WriteAllText(Path.Combine(_folder, "a.png.question.txt"), "what color is the circle?\n");
        File.WriteAllBytes(Path.Combine(_folder, "b.png"), Unique(2));
        File.WriteAllText(Path.Combine(_folder, "b.json"), """{"question": "how many objects are there?", "callback_url": "http://127.0.0.1:9/cb"}""");
        File.WriteAllBytes(Path.Combine(_folder, "c.png"), Unique(3));

        using FolderWatcher watcher = Create();
        await watcher.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => _intake.Requests.Count == 3, "3 files taken");
        await Eventually.TrueAsync(() => Files.Count(Path.Combine(_folder, "processed")) == 5, "images and sidecars moved");
        await watcher.StopAsync(CancellationToken.None);

        Dictionary<string, CaptureRequest> bySource = _intake.Requests.ToDictionary(r => r.Source);
        Assert.Equal("what color is the circle?", bySource["a.png"].Question);
        Assert.Equal("how many objects are there?", bySource["b.png"].Question);
        Assert.Equal("http://127.0.0.1:9/cb", bySource["b.png"].CallbackUrl);
        Assert.Equal("what is in the image?", bySource["c.png"].Question);
    }

    [Fact]
    public async Task Run_FileStillBeingWritten_TakenOnlyWhenCompleteAndOnce()
    {
        using FolderWatcher watcher = Create(settle: TimeSpan.FromSeconds(1.5), rescan: TimeSpan.FromMilliseconds(100));
        await watcher.StartAsync(CancellationToken.None);
        string path = Path.Combine(_folder, "slow.png");
        await using (var stream = new FileStream(path, FileMode.CreateNew))
        {
            for (int offset = 0; offset < _image.Length; offset += 256)
            {
                stream.Write(_image, offset, Math.Min(256, _image.Length - offset));
                await stream.FlushAsync();
                await Task.Delay(100);
                Assert.Empty(_intake.Requests);
            }
        }

        await Eventually.TrueAsync(() => !_intake.Requests.IsEmpty, "the finished file taken");
        await Task.Delay(500);
        await watcher.StopAsync(CancellationToken.None);

        CaptureRequest request = Assert.Single(_intake.Requests);
        Assert.Equal(_image, request.Image.ToArray());
    }

    [Fact]
    public async Task Run_SpoolRefusesThenAccepts_FileStaysUntilTakenAndIsTakenAgain()
    {
        _intake.Decide = (r, seen) => seen == 1 ? new IntakeResult(IntakeStatus.Refused, r.FrameId, "spool full") : new IntakeResult(IntakeStatus.Spooled, r.FrameId);
        File.WriteAllBytes(Path.Combine(_folder, "a.png"), Unique(1));

        using FolderWatcher watcher = Create(retry: TimeSpan.FromMilliseconds(300));
        await watcher.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => _intake.Requests.Count == 2, "taken twice (refused, then spooled)");
        await Eventually.TrueAsync(() => File.Exists(Path.Combine(_folder, "processed", "a.png")), "moved after it was spooled");
        await watcher.StopAsync(CancellationToken.None);

        Assert.Single(_intake.Requests.Select(r => r.FrameId).Distinct());
    }

    [Fact]
    public async Task Run_NotAnImage_MovedToFailedWithTheReason()
    {
        _intake.Decide = (r, _) => new IntakeResult(IntakeStatus.Rejected, r.FrameId, "image format is not supported");
        File.WriteAllText(Path.Combine(_folder, "broken.jpg"), "this is not a JPEG");

        using FolderWatcher watcher = Create();
        await watcher.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => File.Exists(Path.Combine(_folder, "failed", "broken.jpg")), "moved to failed");
        await watcher.StopAsync(CancellationToken.None);

        Assert.Contains("not supported", File.ReadAllText(Path.Combine(_folder, "failed", "broken.jpg.error.txt")), StringComparison.Ordinal);
    }

    [Fact]
    public void FrameIdFor_SameFileTwice_SameIdAndANewFileGetsANewOne()
    {
        var when = new DateTime(2026, 11, 26, 12, 0, 0, DateTimeKind.Utc);

        string first = FolderWatcher.FrameIdFor("dev", "a.png", 100, when);

        Assert.Equal(first, FolderWatcher.FrameIdFor("dev", "a.png", 100, when));
        Assert.NotEqual(first, FolderWatcher.FrameIdFor("dev", "a.png", 100, when.AddSeconds(1)));
        Assert.NotEqual(first, FolderWatcher.FrameIdFor("other", "a.png", 100, when));
    }

    private FolderWatcher Create(TimeSpan? settle = null, TimeSpan? rescan = null, TimeSpan? retry = null) => new(
        _intake,
        Options.Create(new WatchOptions
        {
            Folder = _folder,
            SettleTime = settle ?? TimeSpan.FromMilliseconds(200),
            RescanInterval = rescan ?? TimeSpan.FromMilliseconds(200),
            RetryRefusedAfter = retry ?? TimeSpan.FromSeconds(10),
        }),
        Options.Create(new EdgeOptions { DeviceId = "dev" }),
        new AgentStatus(TimeProvider.System),
        TimeProvider.System,
        NullLogger<FolderWatcher>.Instance);

    /// <summary>The demo image with a distinct trailing comment byte, so every file is a different frame.</summary>
    private byte[] Unique(int n) => [.. _image, (byte)n, (byte)(n >> 8)];
}
