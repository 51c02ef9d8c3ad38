using System.Text;
using System.Text.RegularExpressions;

namespace EdgeCloudVlm.Deployment.Tests.Support;

/// <summary>The repository root's .dockerignore: which context paths a build does not see. Patterns follow Docker's
/// rules closely enough for this file: <c>*</c>, <c>?</c>, <c>**</c>, <c>!</c> exceptions, the last match wins, and a
/// path is excluded when it or a parent folder matches.</summary>
internal sealed class DockerIgnore
{
    private readonly List<(Regex Pattern, bool Exclude)> _rules = [];

    private DockerIgnore(IEnumerable<string> lines)
    {
        foreach (string raw in lines)
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            bool exclude = !line.StartsWith('!');
            string pattern = line.TrimStart('!').Trim('/');
            _rules.Add((new Regex("^" + ToRegex(pattern) + "$", RegexOptions.CultureInvariant), exclude));
        }
    }

    public static DockerIgnore Load() => new(File.ReadAllLines(RepositoryPaths.InRepo(".dockerignore")));

    /// <summary>Whether a context-relative path (forward slashes) is left out of the build context.</summary>
    public bool Excludes(string path)
    {
        string[] parts = path.Trim('/').Split('/');
        for (int length = 1; length <= parts.Length; length++)
        {
            string prefix = string.Join('/', parts[..length]);
            bool? verdict = null;
            foreach ((Regex pattern, bool exclude) in _rules)
            {
                if (pattern.IsMatch(prefix))
                {
                    verdict = exclude;
                }
            }

            if (verdict == true)
            {
                return true;
            }
        }

        return false;
    }

    private static string ToRegex(string pattern)
    {
        var regex = new StringBuilder();
        for (int i = 0; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                i++;
                if (i + 1 < pattern.Length && pattern[i + 1] == '/')
                {
                    // "**/" is any number of folders, none included.
                    regex.Append("(?:.*/)?");
                    i++;
                }
                else
                {
                    regex.Append(".*");
                }
            }
            else if (c == '*')
            {
                regex.Append("[^/]*");
            }
            else if (c == '?')
            {
                regex.Append("[^/]");
            }
            else
            {
                regex.Append(Regex.Escape(c.ToString()));
            }
        }

        return regex.ToString();
    }
}
