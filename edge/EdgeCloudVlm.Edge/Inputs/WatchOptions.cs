using System.ComponentModel.DataAnnotations;

namespace EdgeCloudVlm.Edge.Inputs;

/// <summary>The watched folder (section <c>Edge:Watch</c>); off while <see cref="Folder"/> is empty.</summary>
public sealed class WatchOptions
{
    public const string SectionName = "Edge:Watch";

    /// <summary>Folder camera pipelines drop images into.</summary>
    public string? Folder { get; set; }

    /// <summary>Image file extensions taken (others, and names starting with '.', are ignored).</summary>
    public List<string> Extensions { get; set; } = [];

    /// <summary>A file is taken once its size and modification time have not changed for this long (writers that
    /// write in place); writers that rename a finished file into the folder are taken at once after it.</summary>
    public TimeSpan SettleTime { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Full rescan period, so nothing is missed when the file-system watcher overflows or is not supported.</summary>
    public TimeSpan RescanInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Where spooled files are moved (relative to <see cref="Folder"/>).</summary>
    [Required]
    public string ProcessedFolder { get; set; } = "processed";

    /// <summary>Where files that are not decodable images are moved, with a <c>.error.txt</c> beside them.</summary>
    [Required]
    public string FailedFolder { get; set; } = "failed";

    /// <summary>A file the spool refused (full) is tried again after this.</summary>
    public TimeSpan RetryRefusedAfter { get; set; } = TimeSpan.FromSeconds(10);

    internal static readonly string[] DefaultExtensions = [".jpg", ".jpeg", ".png", ".webp", ".bmp"];
}
