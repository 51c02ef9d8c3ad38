using System.Text;
using EdgeCloudVlm.Edge.Spool;
using EdgeCloudVlm.Edge.Telemetry;
using Microsoft.Extensions.Logging;

namespace EdgeCloudVlm.Edge.Results;

/// <summary>
/// Appends one JSON object per line and flushes it to disk before the delivery is committed. On open, bytes past the
/// offset the ledger last committed belong to a delivery that never committed (the process died in between); they are
/// cut, and that frame is delivered again from the spool, so every frame id appears exactly once.
/// </summary>
public sealed class JsonLinesSink : IDisposable
{
    private readonly FileStream _stream;

    private JsonLinesSink(string path, FileStream stream)
    {
        Path = path;
        _stream = stream;
    }

    public string Path { get; }

    /// <summary>Opens (creating) the file and reconciles it with the ledger of <paramref name="spool"/>.</summary>
    public static JsonLinesSink Open(string path, FrameSpool spool, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(spool);
        string full = System.IO.Path.GetFullPath(path);
        string? folder = System.IO.Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        // Unbuffered: a line that fails to write (a full disk) is cut off at once and nothing of it lingers in memory.
        var stream = new FileStream(full, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0);
        try
        {
            long? committed = spool.SinkOffset(full);
            if (committed is null)
            {
                spool.RecordSinkBaseline(full, stream.Length);
            }
            else if (stream.Length > committed.Value)
            {
                EdgeLog.SinkTruncated(logger, full, stream.Length - committed.Value, committed.Value);
                stream.SetLength(committed.Value);
                stream.Flush(flushToDisk: true);
            }
            else if (stream.Length < committed.Value)
            {
                // Rotated or truncated by someone else: new content starts here.
                spool.RecordSinkBaseline(full, stream.Length);
            }

            stream.Seek(0, SeekOrigin.End);
            return new JsonLinesSink(full, stream);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>End of the file: where the next line starts.</summary>
    public long Length => _stream.Position;

    /// <summary>Writes one line durably and returns the file's end offset after it.</summary>
    /// <exception cref="IOException">The line could not be written; the file is as it was before.</exception>
    public SinkPosition Append(string jsonLine)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(jsonLine + "\n");
        long start = _stream.Position;
        try
        {
            _stream.Write(bytes);
            _stream.Flush(flushToDisk: true);
        }
        catch (IOException)
        {
            TryTruncate(start);
            throw;
        }

        return new SinkPosition(Path, _stream.Position);
    }

    /// <summary>Takes back everything after <paramref name="length"/> (a line whose delivery did not commit).</summary>
    public void Truncate(long length)
    {
        _stream.SetLength(length);
        _stream.Seek(0, SeekOrigin.End);
        _stream.Flush(flushToDisk: true);
    }

    private void TryTruncate(long length)
    {
        try
        {
            Truncate(length);
        }
        catch (IOException)
        {
            // Still there on the next start: the ledger's committed offset is behind it, so opening cuts it off.
        }
    }

    public void Dispose() => _stream.Dispose();
}
