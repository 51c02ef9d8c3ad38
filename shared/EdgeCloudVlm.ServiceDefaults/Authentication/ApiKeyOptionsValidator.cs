using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.ServiceDefaults.Authentication;

/// <summary>Rejects key lists that would be ambiguous or unusable. Messages name the entry by index and name only.
/// </summary>
internal sealed class ApiKeyOptionsValidator : IValidateOptions<ApiKeyOptions>
{
    internal const int MaxNameLength = 128;

    public ValidateOptionsResult Validate(string? name, ApiKeyOptions options)
    {
        var failures = new List<string>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var hashes = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.ApiKeys.Count; i++)
        {
            var entry = options.ApiKeys[i];
            var where = $"{ApiKeyOptions.SectionName}:ApiKeys:{i}";
            if (string.IsNullOrWhiteSpace(entry.Name))
            {
                failures.Add($"{where}: Name is required.");
            }
            else if (entry.Name.Length > MaxNameLength || entry.Name.Any(char.IsControl))
            {
                failures.Add($"{where}: Name must be at most {MaxNameLength} printable characters.");
            }
            else if (!names.Add(entry.Name))
            {
                failures.Add($"{where} ({entry.Name}): the name is used by an earlier key; names must be unique.");
            }

            var label = string.IsNullOrWhiteSpace(entry.Name) ? where : $"{where} ({entry.Name})";
            if (!ServiceRoles.TryNormalize(entry.Role, out _))
            {
                failures.Add($"{label}: Role must be '{ServiceRoles.Edge}' or '{ServiceRoles.Application}'.");
            }

            if (!ApiKeyHash.TryParse(entry.Sha256, out _))
            {
                failures.Add($"{label}: Sha256 must be {ApiKeyHash.HexLength} hexadecimal characters " +
                             "(printf %s \"$KEY\" | sha256sum).");
            }
            else if (!hashes.Add(entry.Sha256))
            {
                failures.Add($"{label}: the same key hash is configured for an earlier entry; each key must be distinct.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
