namespace EdgeCloudVlm.Inference.Manifest;

/// <summary>Which special token plays which role (the <c>special_token_roles</c> section of <c>model.json</c>).</summary>
public sealed record SpecialTokenRoles
{
    /// <summary>Padding token.</summary>
    public string Pad { get; init; } = "";

    /// <summary>Unknown-word token.</summary>
    public string Unk { get; init; } = "";

    /// <summary>Beginning of sequence.</summary>
    public string Bos { get; init; } = "";

    /// <summary>End of sequence; generation stops when it is produced.</summary>
    public string Eos { get; init; } = "";

    /// <summary>Separator between question and answer.</summary>
    public string Separator { get; init; } = "";

    /// <summary>Image placeholder.</summary>
    public string Image { get; init; } = "";
}
