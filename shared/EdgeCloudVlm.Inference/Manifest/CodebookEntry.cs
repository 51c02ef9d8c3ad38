using System.Text.Json.Serialization;

namespace EdgeCloudVlm.Inference.Manifest;

/// <summary>A codebook trained for the model's split, as listed in model.json.</summary>
public sealed record CodebookEntry
{
    /// <summary>Codebook file, relative to the model folder.</summary>
    [JsonPropertyName("file")]
    public string File { get; init; } = "";

    /// <summary>Lowercase hex SHA-256 content id; the loader of the file checks it.</summary>
    [JsonPropertyName("id")]
    public string Id { get; init; } = "";

    /// <summary>Codec configuration text the codebook was trained with.</summary>
    [JsonPropertyName("config")]
    public string? Config { get; init; }

    /// <summary>Bits per token of indices and statistics before entropy coding and framing.</summary>
    [JsonPropertyName("nominal_bits_per_token")]
    public int? NominalBitsPerToken { get; init; }
}
