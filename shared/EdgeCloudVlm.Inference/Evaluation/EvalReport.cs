namespace EdgeCloudVlm.Inference.Evaluation;

/// <summary>Exact-match accuracy of one template.</summary>
/// <param name="Correct">Exact matches.</param>
/// <param name="Total">Questions asked.</param>
public sealed record TemplateAccuracy(int Correct, int Total)
{
    /// <summary>Correct / total (0 when empty).</summary>
    public double Accuracy => Total == 0 ? 0 : (double)Correct / Total;
}

/// <summary>A wrong answer, for inspection.</summary>
/// <param name="Item">The question.</param>
/// <param name="Predicted">What the model answered.</param>
public sealed record EvalMiss(EvalItem Item, string Predicted);

/// <summary>Greedy exact-match results over an evaluation set.</summary>
public sealed record EvalReport
{
    /// <summary>Exact matches.</summary>
    public required int Correct { get; init; }

    /// <summary>Questions asked.</summary>
    public required int Total { get; init; }

    /// <summary>Correct / total.</summary>
    public double Accuracy => Total == 0 ? 0 : (double)Correct / Total;

    /// <summary>Accuracy per template, in first-seen order.</summary>
    public required IReadOnlyDictionary<string, TemplateAccuracy> PerTemplate { get; init; }

    /// <summary>Wrong answers (at most the first 25).</summary>
    public required IReadOnlyList<EvalMiss> Misses { get; init; }
}
