namespace EdgeCloudVlm.Inference.Evaluation;

/// <summary>
/// Rewrites the split hidden state before the cloud half runs, e.g. codec encode then decode, so that the accuracy cost
/// of compression is measured end to end.
/// </summary>
/// <param name="hiddenState">The edge output, row-major [tokens, dimension].</param>
/// <param name="tokens">Rows.</param>
/// <param name="dimension">Columns.</param>
/// <param name="destination">Where the rewritten state goes (same shape).</param>
public delegate void HiddenStateTransform(ReadOnlySpan<float> hiddenState, int tokens, int dimension, Span<float> destination);
