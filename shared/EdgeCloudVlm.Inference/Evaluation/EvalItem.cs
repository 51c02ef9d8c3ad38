namespace EdgeCloudVlm.Inference.Evaluation;

/// <summary>One line of <c>eval/eval.jsonl</c>.</summary>
public sealed record EvalItem
{
    /// <summary>Image path relative to the model folder.</summary>
    public string Image { get; init; } = "";

    /// <summary>The question.</summary>
    public string Question { get; init; } = "";

    /// <summary>The expected answer text (exact match).</summary>
    public string Answer { get; init; } = "";

    /// <summary>The question template, for per-template accuracy.</summary>
    public string Template { get; init; } = "";
}
