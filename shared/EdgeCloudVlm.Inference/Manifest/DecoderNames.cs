using System.Globalization;

namespace EdgeCloudVlm.Inference.Manifest;

/// <summary>Input and output names of the decoder part (the Hugging Face Optimum / ONNX Runtime GenAI convention).</summary>
public static class DecoderNames
{
    /// <summary>Embeddings of the new tokens, [batch, sequence, hidden].</summary>
    public const string InputsEmbeds = "inputs_embeds";

    /// <summary>0/1 mask over past plus new tokens, [batch, past + sequence].</summary>
    public const string AttentionMask = "attention_mask";

    /// <summary>Positions of the new tokens, [batch, sequence].</summary>
    public const string PositionIds = "position_ids";

    /// <summary>Next-token scores, [batch, sequence, vocab].</summary>
    public const string Logits = "logits";

    /// <summary><c>past_key_values.{layer}.key</c> or <c>.value</c>, [batch, heads, past, head_dim].</summary>
    public static string Past(int layer, bool key) =>
        string.Create(CultureInfo.InvariantCulture, $"past_key_values.{layer}.{(key ? "key" : "value")}");

    /// <summary><c>present.{layer}.key</c> or <c>.value</c>, [batch, heads, past + sequence, head_dim].</summary>
    public static string Present(int layer, bool key) =>
        string.Create(CultureInfo.InvariantCulture, $"present.{layer}.{(key ? "key" : "value")}");
}
