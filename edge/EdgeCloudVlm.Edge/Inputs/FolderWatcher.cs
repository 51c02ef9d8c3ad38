using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using EdgeCloudVlm.Edge.Hosting;
using EdgeCloudVlm.Edge.Pipeline;
using EdgeCloudVlm.Edge.State;
using EdgeCloudVlm.Edge.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.Edge.Inputs;

/// <summary>
/// Takes images dropped into a folder. The folder listing is the source of truth: a scan runs at start, on every
/// file-system event and every <see cref="WatchOptions.RescanInterval"/>, so an overflowed or unsupported watcher
/// never loses a file. A file is taken once it is settled (size and time unchanged for the settle time), and moved to
/// <c>processed/</c> once its frame is durably spooled. Its frame id is derived from the device, name, size and
/// modification time, so a file taken again after a crash between spooling and moving is recognised as the same frame.
/// </summary>
public sealed class FolderWatcher(
    IFrameIntake intake,
    IOptions<WatchOptions> options,
    IOptions<EdgeOptions> edgeOptions,
    AgentStatus status,
    TimeProvider time,
    ILogger<FolderWatcher> logger) : BackgroundService
{
    private readonly WatchOptions _options = options.Value;
    private readonly Dictionary<string, Observation> _seen = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _inProgress = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _retryAt = new(StringComparer.Ordinal);
    private readonly List<Task> _completions = [];
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Files taken so far (each once).</summary>
    public int Taken { get; private set; }

    /// <summary>Completes after the first full scan; tests and <c>status</c> use it.</summary>
    public Task FirstScan => _firstScan.Task;

    private readonly TaskCompletionSource _firstScan = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The frame id of a file: stable for the same file, different for a new file of the same name.</summary>
    public static string FrameIdFor(string deviceId, string fileName, long length, DateTime lastWriteUtc)
    {
        string key = string.Join('\n', deviceId, fileName, length.ToString(CultureInfo.InvariantCulture), lastWriteUtc.Ticks.ToString(CultureInfo.InvariantCulture));
        return "file-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..32];
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (string.IsNullOrWhiteSpace(_options.Folder))
        {
            _firstScan.TrySetResult();
            return;
        }

        string folder = Path.GetFullPath(_options.Folder);
        Directory.CreateDirectory(folder);
        Directory.CreateDirectory(Path.Combine(folder, _options.ProcessedFolder));
        Directory.CreateDirectory(Path.Combine(folder, _options.FailedFolder));
        using FileSystemWatcher? watcher = CreateWatcher(folder);
        EdgeLog.Watching(logger, folder);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                Task wake;
                lock (_seen)
                {
                    wake = _wake.Task;
                }

                TimeSpan next = await ScanAsync(folder, stoppingToken);
                _firstScan.TrySetResult();
                await Task.WhenAny(wake, Task.Delay(next, time, stoppingToken));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One pass over the folder; returns how long until the next pass is due.</summary>
    internal async Task<TimeSpan> ScanAsync(string folder, CancellationToken cancellationToken)
    {
        DateTimeOffset now = time.GetUtcNow();
        TimeSpan next = _options.RescanInterval;
        var present = new HashSet<string>(StringComparer.Ordinal);
        var ready = new List<(string Path, FileInfo Info)>();
        lock (_seen)
        {
            foreach (FileInfo file in new DirectoryInfo(folder).EnumerateFiles())
            {
                string path = file.FullName;
                if (!IsImage(file.Name))
                {
                    continue;
                }

                present.Add(path);
                if (_inProgress.ContainsKey(path))
                {
                    continue;
                }

                if (_retryAt.TryGetValue(path, out DateTimeOffset retry) && retry > now)
                {
                    next = Min(next, retry - now);
                    continue;
                }

                var observation = new Observation(file.Length, file.LastWriteTimeUtc, now);
                DateTimeOffset settledSince;
                if (_seen.TryGetValue(path, out Observation? previous) && previous.Length == observation.Length && previous.LastWrite == observation.LastWrite)
                {
                    settledSince = previous.FirstSeen;
                }
                else
                {
                    _seen[path] = observation;

                    // A file last written before the settle time (an old file, or one renamed in after it was finished)
                    // is complete already; a file written just now has to prove it by staying unchanged.
                    settledSince = new DateTimeOffset(observation.LastWrite) < now - _options.SettleTime ? DateTimeOffset.MinValue : now;
                }

                TimeSpan remaining = settledSince == DateTimeOffset.MinValue ? TimeSpan.Zero : _options.SettleTime - (now - settledSince);
                if (remaining <= TimeSpan.Zero)
                {
                    ready.Add((path, file));
                }
                else
                {
                    next = Min(next, remaining);
                }
            }

            foreach (string gone in _seen.Keys.Where(p => !present.Contains(p)).ToList())
            {
                _seen.Remove(gone);
                _retryAt.TryRemove(gone, out _);
            }
        }

        // Oldest first: that is capture order for a camera.
        ready.Sort(static (a, b) => a.Info.LastWriteTimeUtc != b.Info.LastWriteTimeUtc
            ? a.Info.LastWriteTimeUtc.CompareTo(b.Info.LastWriteTimeUtc)
            : string.CompareOrdinal(a.Path, b.Path));
        foreach ((string path, FileInfo info) in ready)
        {
            await TakeAsync(folder, path, info, cancellationToken);
        }

        _completions.RemoveAll(static t => t.IsCompleted);
        return next < TimeSpan.FromMilliseconds(10) ? TimeSpan.FromMilliseconds(10) : next;
    }

    /// <summary>Waits until every file taken so far has been spooled (or refused) and moved.</summary>
    internal Task DrainAsync() => Task.WhenAll(_completions.ToArray());

    private async Task TakeAsync(string folder, string path, FileInfo info, CancellationToken cancellationToken)
    {
        byte[] bytes;
        Sidecar sidecar;
        try
        {
            bytes = await File.ReadAllBytesAsync(path, cancellationToken);
            sidecar = Sidecar.Read(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Vanished or locked meanwhile: the next scan decides.
            lock (_seen)
            {
                _seen.Remove(path);
            }

            return;
        }

        if (bytes.Length != info.Length)
        {
            // Still being written after all: settle again.
            lock (_seen)
            {
                _seen.Remove(path);
            }

            return;
        }

        var request = new CaptureRequest
        {
            FrameId = FrameIdFor(edgeOptions.Value.DeviceId, info.Name, info.Length, info.LastWriteTimeUtc),
            Image = bytes,
            Question = sidecar.Question ?? edgeOptions.Value.DefaultQuestion,
            Source = info.Name,
            CallbackUrl = sidecar.CallbackUrl ?? "",
            CapturedAt = new DateTimeOffset(info.LastWriteTimeUtc),
        };
        _inProgress[path] = 0;
        await intake.EnqueueAsync(request, cancellationToken);
        Taken++;
        _completions.Add(request.Completion.ContinueWith(
            t => Finish(folder, path, sidecar, t.Result),
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnRanToCompletion,
            TaskScheduler.Default));
    }

    private void Finish(string folder, string path, Sidecar sidecar, IntakeResult result)
    {
        try
        {
            switch (result.Status)
            {
                case IntakeStatus.Spooled:
                case IntakeStatus.Duplicate:
                    MoveAll(path, sidecar, Path.Combine(folder, _options.ProcessedFolder));
                    break;
                case IntakeStatus.Rejected:
                    string failed = MoveAll(path, sidecar, Path.Combine(folder, _options.FailedFolder));
                    File.WriteAllText(failed + ".error.txt", result.Reason + Environment.NewLine);
                    status.RecordError("watch", $"{Path.GetFileName(path)}: {result.Reason}");
                    break;
                default:
                    _retryAt[path] = time.GetUtcNow() + _options.RetryRefusedAfter;
                    EdgeLog.FileRefused(logger, Path.GetFileName(path), result.Reason ?? "refused", _options.RetryRefusedAfter);
                    break;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The frame is spooled; if the file stays, its frame id makes a second take a duplicate.
            EdgeLog.MoveFailed(logger, path, ex.Message);
            status.RecordError("watch", $"moving {path}: {ex.Message}");
        }
        finally
        {
            lock (_seen)
            {
                _seen.Remove(path);
                _inProgress.TryRemove(path, out _);
                Wake();
            }
        }
    }

    private static string MoveAll(string path, Sidecar sidecar, string destinationFolder)
    {
        string target = UniquePath(destinationFolder, Path.GetFileName(path));
        File.Move(path, target);
        foreach (string file in sidecar.Files)
        {
            if (File.Exists(file))
            {
                File.Move(file, UniquePath(destinationFolder, Path.GetFileName(file)));
            }
        }

        return target;
    }

    private static string UniquePath(string folder, string name)
    {
        string candidate = Path.Combine(folder, name);
        for (int i = 1; File.Exists(candidate); i++)
        {
            candidate = Path.Combine(folder, $"{Path.GetFileNameWithoutExtension(name)}-{i}{Path.GetExtension(name)}");
        }

        return candidate;
    }

    private bool IsImage(string name)
    {
        if (name.StartsWith('.'))
        {
            return false;
        }

        string extension = Path.GetExtension(name);
        IEnumerable<string> accepted = _options.Extensions.Count > 0 ? _options.Extensions : WatchOptions.DefaultExtensions;
        return accepted.Any(e => string.Equals(e, extension, StringComparison.OrdinalIgnoreCase));
    }

    private FileSystemWatcher? CreateWatcher(string folder)
    {
        try
        {
            var watcher = new FileSystemWatcher(folder)
            {
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size,
                IncludeSubdirectories = false,
                InternalBufferSize = 64 * 1024,
            };
            watcher.Created += (_, _) => Wake();
            watcher.Changed += (_, _) => Wake();
            watcher.Renamed += (_, _) => Wake();
            watcher.Error += (_, e) => Wake();
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or PlatformNotSupportedException)
        {
            EdgeLog.WatcherUnavailable(logger, folder, ex.Message, _options.RescanInterval);
            return null;
        }
    }

    private void Wake()
    {
        TaskCompletionSource previous;
        lock (_seen)
        {
            previous = _wake;
            _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        previous.TrySetResult();
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private sealed record Observation(long Length, DateTime LastWrite, DateTimeOffset FirstSeen);
}
