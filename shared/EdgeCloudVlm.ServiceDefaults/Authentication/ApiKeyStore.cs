using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.ServiceDefaults.Authentication;

/// <summary>The configured keys as hash bytes, and the constant-time lookup of a presented key.</summary>
internal sealed class ApiKeyStore
{
    /// <summary>Longer presented keys are refused without hashing, so a huge header costs nothing.</summary>
    internal const int MaxKeyLength = 512;

    private readonly Entry[] _entries;

    public ApiKeyStore(IOptions<ApiKeyOptions> options, ILogger<ApiKeyStore> logger)
    {
        var keys = options.Value.ApiKeys;
        _entries = new Entry[keys.Count];
        for (var i = 0; i < keys.Count; i++)
        {
            if (!ApiKeyHash.TryParse(keys[i].Sha256, out var hash) || !ServiceRoles.TryNormalize(keys[i].Role, out var role))
            {
                // The validator runs at start; reaching here means it was bypassed.
                throw new OptionsValidationException(nameof(ApiKeyOptions), typeof(ApiKeyOptions),
                    [$"{ApiKeyOptions.SectionName}:ApiKeys:{i} ({keys[i].Name}) is invalid."]);
            }

            _entries[i] = new Entry(keys[i].Name, role, hash);
        }

        if (_entries.Length == 0)
        {
            logger.LogWarning("No API keys are configured ({Section}:ApiKeys); every endpoint except the health probes " +
                              "refuses callers without a trusted client certificate", ApiKeyOptions.SectionName);
        }
    }

    /// <summary>Number of configured keys.</summary>
    public int Count => _entries.Length;

    /// <summary>Finds the key whose hash equals the hash of <paramref name="presentedKey"/>.</summary>
    /// <remarks>Every configured hash is compared with <see cref="CryptographicOperations.FixedTimeEquals"/>, without
    /// stopping at a match, so timing reveals neither the hash nor which entry matched.</remarks>
    public bool TryFind(ReadOnlySpan<char> presentedKey, [NotNullWhen(true)] out string? name, [NotNullWhen(true)] out string? role)
    {
        name = null;
        role = null;
        if (presentedKey.IsEmpty || presentedKey.Length > MaxKeyLength)
        {
            return false;
        }

        var byteCount = Encoding.UTF8.GetMaxByteCount(presentedKey.Length);
        var buffer = ArrayPool<byte>.Shared.Rent(byteCount);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        try
        {
            var written = Encoding.UTF8.GetBytes(presentedKey, buffer);
            SHA256.HashData(buffer.AsSpan(0, written), hash);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer.AsSpan(0, byteCount));
            ArrayPool<byte>.Shared.Return(buffer);
        }

        Entry? match = null;
        foreach (var entry in _entries)
        {
            if (CryptographicOperations.FixedTimeEquals(entry.Hash, hash) && match is null)
            {
                match = entry;
            }
        }

        if (match is null)
        {
            return false;
        }

        name = match.Name;
        role = match.Role;
        return true;
    }

    private sealed record Entry(string Name, string Role, byte[] Hash);
}
