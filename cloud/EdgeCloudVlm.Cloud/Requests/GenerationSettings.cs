namespace EdgeCloudVlm.Cloud.Requests;

/// <summary>Generation controls as a client asked for them, before validation; <see langword="null"/> means the
/// model's default. The names of the fields at fault are given per front end in <see cref="ParamNames"/>.</summary>
internal sealed record GenerationSettings
{
    public int? MaxTokens { get; init; }

    public float? Temperature { get; init; }

    public float? TopP { get; init; }

    public int? TopK { get; init; }

    public long? Seed { get; init; }

    public IReadOnlyList<string> Stop { get; init; } = [];

    /// <summary>How each field is called on the wire, for error messages.</summary>
    public ParamNames Names { get; init; } = ParamNames.Grpc;
}

/// <summary>Wire names of the generation fields.</summary>
internal sealed record ParamNames(string Question, string MaxTokens, string Temperature, string TopP, string TopK, string Stop)
{
    public static ParamNames Grpc { get; } = new("prompt", "parameters.max_tokens", "parameters.temperature", "parameters.top_p", "parameters.top_k", "parameters.stop");
}
