using System.Security.Cryptography;
using System.Text;

namespace EdgeCloudVlm.ServiceDefaults.Authentication;

/// <summary>The form in which API keys are configured: the SHA-256 of the key's UTF-8 bytes, as 64 hexadecimal
/// characters. Operators compute it with <c>printf %s "$KEY" | sha256sum</c>.</summary>
/// <remarks>An unsalted hash is enough because keys are random secrets, not passwords: generate them with at least
/// 128 bits of entropy, e.g. <c>openssl rand -base64 32</c>.</remarks>
public static class ApiKeyHash
{
    /// <summary>Length of the hexadecimal hash text.</summary>
    public const int HexLength = SHA256.HashSizeInBytes * 2;

    /// <summary>Returns the lower-case hexadecimal SHA-256 of <paramref name="key"/>'s UTF-8 bytes.</summary>
    public static string Compute(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
    }

    /// <summary>Parses hash text of exactly <see cref="HexLength"/> hexadecimal characters (either letter case).</summary>
    /// <returns><see langword="false"/> when the text is not such a hash.</returns>
    public static bool TryParse(string? hex, out byte[] hash)
    {
        hash = [];
        if (hex is null || hex.Length != HexLength || !IsHex(hex))
        {
            return false;
        }

        hash = Convert.FromHexString(hex);
        return true;
    }

    private static bool IsHex(string text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
