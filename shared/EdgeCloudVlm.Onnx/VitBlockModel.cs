using System.Globalization;
using EdgeCloudVlm.Onnx.Proto;

namespace EdgeCloudVlm.Onnx;

/// <summary>
/// Builds one pre-LayerNorm ViT encoder block as an ONNX model (opset 17):
/// <c>h = x + Attn(LN1(x)); y = h + MLP(LN2(h))</c>, multi-head softmax attention scaled by 1/√(dim/heads) and an
/// MLP with the exact GELU, <c>0.5·u·(1 + erf(u/√2))</c>, spelled with Div, Erf, Add and Mul because opset 17 has no
/// Gelu operator.
/// </summary>
/// <remarks>
/// Input <see cref="InputName"/> is float <c>[batch, tokens, dim]</c> and output <see cref="OutputName"/> has the same
/// shape. ViT-L/14 (CLIP, LLaVA-1.5 at 336 px) uses tokens 577, dim 1024, heads 16, mlpDim 4096: about 50 MB of weights.
/// </remarks>
public static class VitBlockModel
{
    /// <summary>Name of the model input.</summary>
    public const string InputName = "x";

    /// <summary>Name of the model output.</summary>
    public const string OutputName = "y";

    /// <summary>Symbol of the batch dimension when it is symbolic.</summary>
    public const string BatchDimension = "batch";

    /// <summary>LayerNorm epsilon (the value CLIP's vision tower uses).</summary>
    public const float LayerNormEpsilon = 1e-5f;

    /// <summary>Creates a block with deterministic random weights (see <see cref="VitBlockWeights.Random"/>) and a symbolic batch.</summary>
    /// <param name="tokens">Sequence length.</param>
    /// <param name="dim">Width of the residual stream; a multiple of <paramref name="heads"/>.</param>
    /// <param name="heads">Number of attention heads.</param>
    /// <param name="mlpDim">Hidden width of the MLP.</param>
    /// <param name="seed">Random seed of the weights.</param>
    /// <returns>The model.</returns>
    public static ModelProto Create(int tokens, int dim, int heads, int mlpDim, int seed)
    {
        CheckShape(tokens, dim, heads);
        return Create(VitBlockWeights.Random(dim, mlpDim, seed), tokens, heads, symbolicBatch: true);
    }

    /// <summary>Creates a block with the given weights.</summary>
    /// <param name="weights">The block's parameters.</param>
    /// <param name="tokens">Sequence length.</param>
    /// <param name="heads">Number of attention heads; must divide <see cref="VitBlockWeights.Dim"/>.</param>
    /// <param name="symbolicBatch">Declare the batch dimension as <see cref="BatchDimension"/> rather than 1.</param>
    /// <returns>The model.</returns>
    public static ModelProto Create(VitBlockWeights weights, int tokens, int heads, bool symbolicBatch = true)
    {
        ArgumentNullException.ThrowIfNull(weights);
        int dim = weights.Dim;
        int mlp = weights.MlpDim;
        CheckShape(tokens, dim, heads);
        int headDim = dim / heads;
        OnnxDim batch = symbolicBatch ? OnnxDim.Symbolic(BatchDimension) : OnnxDim.Fixed(1);
        const TensorProto.Types.DataType Float = TensorProto.Types.DataType.Float;

        var builder = new OnnxGraphBuilder("vit_block")
            .AddInput(InputName, Float, batch, tokens, dim)
            .AddOutput(OutputName, Float, batch, tokens, dim)
            .AddMetadata("edgecloudvlm.vit_block", string.Create(
                CultureInfo.InvariantCulture, $"tokens={tokens};dim={dim};heads={heads};mlp_dim={mlp}"))
            .AddInitializer("ln1.scale", weights.Ln1Scale, dim)
            .AddInitializer("ln1.bias", weights.Ln1Bias, dim)
            .AddInitializer("attn.q.weight", weights.QueryWeight, dim, dim)
            .AddInitializer("attn.q.bias", weights.QueryBias, dim)
            .AddInitializer("attn.k.weight", weights.KeyWeight, dim, dim)
            .AddInitializer("attn.k.bias", weights.KeyBias, dim)
            .AddInitializer("attn.v.weight", weights.ValueWeight, dim, dim)
            .AddInitializer("attn.v.bias", weights.ValueBias, dim)
            .AddInitializer("attn.out.weight", weights.OutputWeight, dim, dim)
            .AddInitializer("attn.out.bias", weights.OutputBias, dim)
            .AddInitializer("ln2.scale", weights.Ln2Scale, dim)
            .AddInitializer("ln2.bias", weights.Ln2Bias, dim)
            .AddInitializer("mlp.fc1.weight", weights.Fc1Weight, dim, mlp)
            .AddInitializer("mlp.fc1.bias", weights.Fc1Bias, mlp)
            .AddInitializer("mlp.fc2.weight", weights.Fc2Weight, mlp, dim)
            .AddInitializer("mlp.fc2.bias", weights.Fc2Bias, dim)
            // Reshape's 0 copies the input's dimension, so batch and tokens stay free at run time.
            .AddInt64Initializer("attn.split_heads_shape", [0, 0, heads, headDim], 4)
            .AddInt64Initializer("attn.merge_heads_shape", [0, 0, dim], 3)
            .AddInitializer("attn.scale", [1f / MathF.Sqrt(headDim)])
            .AddInitializer("gelu.sqrt2", [MathF.Sqrt(2f)])
            .AddInitializer("gelu.one", [1f])
            .AddInitializer("gelu.half", [0.5f]);

        // Attention branch.
        builder.AddNode("LayerNormalization", [InputName, "ln1.scale", "ln1.bias"], ["ln1.out"],
            OnnxAttribute.Int("axis", -1), OnnxAttribute.Float("epsilon", LayerNormEpsilon));
        AddHeads(builder, "q", [0, 2, 1, 3]); // [B, H, T, Dh]
        AddHeads(builder, "k", [0, 2, 3, 1]); // [B, H, Dh, T], ready for Q·Kᵀ
        AddHeads(builder, "v", [0, 2, 1, 3]); // [B, H, T, Dh]
        builder
            .AddNode("MatMul", ["attn.q.heads", "attn.k.heads"], ["attn.scores"])
            .AddNode("Mul", ["attn.scores", "attn.scale"], ["attn.scaled_scores"])
            .AddNode("Softmax", ["attn.scaled_scores"], ["attn.probs"], OnnxAttribute.Int("axis", -1))
            .AddNode("MatMul", ["attn.probs", "attn.v.heads"], ["attn.context"])
            .AddNode("Transpose", ["attn.context"], ["attn.context_t"], OnnxAttribute.Ints("perm", 0, 2, 1, 3))
            .AddNode("Reshape", ["attn.context_t", "attn.merge_heads_shape"], ["attn.merged"])
            .AddNode("MatMul", ["attn.merged", "attn.out.weight"], ["attn.projected"])
            .AddNode("Add", ["attn.projected", "attn.out.bias"], ["attn.out"])
            .AddNode("Add", [InputName, "attn.out"], ["residual1"]);

        // MLP branch.
        builder
            .AddNode("LayerNormalization", ["residual1", "ln2.scale", "ln2.bias"], ["ln2.out"],
                OnnxAttribute.Int("axis", -1), OnnxAttribute.Float("epsilon", LayerNormEpsilon))
            .AddNode("MatMul", ["ln2.out", "mlp.fc1.weight"], ["mlp.fc1.mm"])
            .AddNode("Add", ["mlp.fc1.mm", "mlp.fc1.bias"], ["mlp.fc1.out"])
            .AddNode("Div", ["mlp.fc1.out", "gelu.sqrt2"], ["gelu.scaled"])
            .AddNode("Erf", ["gelu.scaled"], ["gelu.erf"])
            .AddNode("Add", ["gelu.erf", "gelu.one"], ["gelu.one_plus_erf"])
            .AddNode("Mul", ["mlp.fc1.out", "gelu.one_plus_erf"], ["gelu.product"])
            .AddNode("Mul", ["gelu.product", "gelu.half"], ["gelu.out"])
            .AddNode("MatMul", ["gelu.out", "mlp.fc2.weight"], ["mlp.fc2.mm"])
            .AddNode("Add", ["mlp.fc2.mm", "mlp.fc2.bias"], ["mlp.out"])
            .AddNode("Add", ["residual1", "mlp.out"], [OutputName]);

        return builder.Build();
    }

    private static void AddHeads(OnnxGraphBuilder builder, string projection, ReadOnlySpan<long> perm)
    {
        string prefix = "attn." + projection;
        builder
            .AddNode("MatMul", ["ln1.out", prefix + ".weight"], [prefix + ".mm"])
            .AddNode("Add", [prefix + ".mm", prefix + ".bias"], [prefix + ".out"])
            .AddNode("Reshape", [prefix + ".out", "attn.split_heads_shape"], [prefix + ".split"])
            .AddNode("Transpose", [prefix + ".split"], [prefix + ".heads"], OnnxAttribute.Ints("perm", perm));
    }

    private static void CheckShape(int tokens, int dim, int heads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dim, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(heads, 1);
        if (dim % heads != 0)
        {
            throw new ArgumentException($"dim ({dim}) must be a multiple of heads ({heads}).", nameof(heads));
        }
    }
}
