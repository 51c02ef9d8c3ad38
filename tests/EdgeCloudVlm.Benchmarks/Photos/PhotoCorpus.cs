using System.Text.RegularExpressions;
using SixLabors.ImageSharp;

namespace EdgeCloudVlm.Benchmarks.Photos;

/// <summary>
/// Real photographs at their original resolution from two Debian packages (scikit-image's sample data and OpenCV's
/// example data), fetched with <c>apt-get download</c> and unpacked with <c>dpkg-deb</c> into a cache folder the first
/// time a suite needs them. Synthetic images (patterns, logos, text, renders, paintings, masks) are left out by name.
/// </summary>
internal static partial class PhotoCorpus
{
    private static readonly (string Package, string Folder)[] Sources =
    [
        ("python3-skimage", "usr/lib/python3/dist-packages/skimage/data"),
        ("opencv-doc", "usr/share/doc/opencv-doc/examples/data"),
    ];

    /// <summary>The shorter side a photograph needs, so that crops are real downscales, not upscales.</summary>
    private const int MinimumSide = 256;

    /// <summary>Photographs, sorted by file name (package prefix first), each once.</summary>
    public static IReadOnlyList<string> Load(BenchmarkLog log)
    {
        var cache = CacheFolder();
        var marker = Path.Combine(cache, ".complete");
        if (!File.Exists(marker))
        {
            Fetch(cache, log);
            File.WriteAllText(marker, string.Join('\n', Sources.Select(s => s.Package)));
        }

        var photos = new List<string>();
        foreach (var file in Directory.EnumerateFiles(cache, "*", SearchOption.AllDirectories))
        {
            var name = Path.GetFileName(file);
            var extension = Path.GetExtension(name).ToLowerInvariant();
            if (extension is not (".jpg" or ".png") || NotAPhotograph().IsMatch(name))
            {
                continue;
            }

            var info = Image.Identify(file);
            if (info is not null && Math.Min(info.Width, info.Height) >= MinimumSide)
            {
                photos.Add(file);
            }
        }

        photos.Sort(StringComparer.Ordinal);
        return photos;
    }

    private static string CacheFolder()
    {
        var baseFolder = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (string.IsNullOrEmpty(baseFolder))
        {
            baseFolder = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        }

        return Path.Combine(baseFolder, "edgecloudvlm", "photos");
    }

    private static void Fetch(string cache, BenchmarkLog log)
    {
        var download = Path.Combine(Path.GetTempPath(), $"edgecloudvlm-photos-{Environment.ProcessId}");
        Directory.CreateDirectory(download);
        try
        {
            var packages = Sources.Select(s => s.Package).ToArray();
            log.Info($"fetching photographs: apt-get download {string.Join(' ', packages)}");
            if (!ExternalCommand.TryRun(["apt-get", "download", .. packages], out _, download))
            {
                // A fresh machine may not have package lists yet.
                ExternalCommand.TryRun(["apt-get", "update"], out _, download);
                if (!ExternalCommand.TryRun(["apt-get", "download", .. packages], out _, download))
                {
                    throw new InvalidOperationException($"apt-get download {string.Join(' ', packages)} failed; the suite needs these Debian packages' images.");
                }
            }

            foreach (var (package, folder) in Sources)
            {
                var deb = Directory.EnumerateFiles(download, $"{package}_*.deb").Single();
                var unpacked = Path.Combine(download, package);
                if (!ExternalCommand.TryRun(["dpkg-deb", "-x", deb, unpacked], out _, download))
                {
                    throw new InvalidOperationException($"dpkg-deb -x {deb} failed.");
                }

                var target = Path.Combine(cache, package);
                Directory.CreateDirectory(target);
                foreach (var file in Directory.EnumerateFiles(Path.Combine(unpacked, folder)))
                {
                    File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
                }
            }
        }
        finally
        {
            Directory.Delete(download, recursive: true);
        }
    }

    // Patterns, logos, text, charts, renders, masks, ground-truth maps, a painting, a silhouette, a truncated file.
    [GeneratedRegex(
        "logo|text|digits|gradient|mask|templ|tmpl|^pic\\d|ellipses|chess|checker|palette|foo3x5|phantom|^bw_|^ml\\.|detect_blob|"
        + "pca_test|blender|truncated|notes|cards|blox|block|aloegt|starry_night|horse|^page|^color\\.|sudoku|licenseplate",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex NotAPhotograph();
}
