using EdgeCloudVlm.Onnx.Proto;
using EdgeCloudVlm.Onnx.Tests.Support;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace EdgeCloudVlm.Onnx.Tests;

public sealed class VitBlockModelTests
{
    private const int Tokens = 5;
    private const int Dim = 8;
    private const int Heads = 2;
    private const int Mlp = 16;
    private const float Tolerance = 1e-4f;

    [Fact]
    public void Create_SmallBlock_OrtOutputMatchesReference()
    {
        ModelProto model = VitBlockModel.Create(Tokens, Dim, Heads, Mlp, seed: 11);
        float[] x = Ort.RandomInput(Tokens * Dim, seed: 1);

        (float[] y, long[] shape) = Ort.Run(model, VitBlockModel.InputName, x, [1, Tokens, Dim], VitBlockModel.OutputName);

        Assert.Equal(new long[] { 1, Tokens, Dim }, shape);
        float[] expected = VitBlockReference.Compute(Initializers(model), x, 1, Tokens, Dim, Heads, Mlp);
        Ort.AssertClose(expected, y, Tolerance);
    }

    // Large weights make attention far from uniform and the MLP far from linear, so a wrong scale, permutation
    // or GELU term moves the output well beyond the tolerance.
    [Theory]
    [InlineData(0.5f, 3)]
    [InlineData(0.25f, 4)]
    public void Create_LargeWeights_OrtOutputMatchesReference(float standardDeviation, int seed)
    {
        VitBlockWeights weights = VitBlockWeights.Random(Dim, Mlp, seed, standardDeviation);
        ModelProto model = VitBlockModel.Create(weights, Tokens, Heads);
        float[] x = Ort.RandomInput(Tokens * Dim, seed: 2);

        (float[] y, _) = Ort.Run(model, VitBlockModel.InputName, x, [1, Tokens, Dim], VitBlockModel.OutputName);

        float[] expected = VitBlockReference.Compute(Initializers(model), x, 1, Tokens, Dim, Heads, Mlp);
        Ort.AssertClose(expected, y, Tolerance);
        Assert.True(MaxAbsDifference(x, y) > 0.1f, "the block should change its input noticeably");
    }

    [Fact]
    public void Create_SymbolicBatch_RunsForBatchOneAndThree()
    {
        VitBlockWeights weights = VitBlockWeights.Random(Dim, Mlp, seed: 5, standardDeviation: 0.3f);
        ModelProto model = VitBlockModel.Create(weights, Tokens, Heads, symbolicBatch: true);
        using var session = new InferenceSession(model.ToByteArray());
        NodeMetadata input = session.InputMetadata[VitBlockModel.InputName];
        Assert.Equal(new[] { -1, Tokens, Dim }, input.Dimensions);
        Assert.Equal(VitBlockModel.BatchDimension, input.SymbolicDimensions[0]);
        Func<string, float[]> lookup = Initializers(model);

        foreach (int batch in (int[])[1, 3])
        {
            float[] x = Ort.RandomInput(batch * Tokens * Dim, seed: 20 + batch);

            (float[] y, long[] shape) = Ort.Run(session, VitBlockModel.InputName, x, [batch, Tokens, Dim], VitBlockModel.OutputName);

            Assert.Equal(new long[] { batch, Tokens, Dim }, shape);
            Ort.AssertClose(VitBlockReference.Compute(lookup, x, batch, Tokens, Dim, Heads, Mlp), y, Tolerance);
        }
    }

    [Fact]
    public void Create_FixedBatch_DeclaresBatchOne()
    {
        ModelProto model = VitBlockModel.Create(VitBlockWeights.Random(Dim, Mlp, 1), Tokens, Heads, symbolicBatch: false);

        TensorShapeProto shape = model.Graph.Input[0].Type.TensorType.Shape;
        Assert.Equal(1, shape.Dim[0].DimValue);
        Assert.Equal(TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue, shape.Dim[0].ValueCase);
    }

    [Fact]
    public void Create_Always_UsesOpset17OperatorsWithoutGelu()
    {
        ModelProto model = VitBlockModel.Create(Tokens, Dim, Heads, Mlp, seed: 1);

        Assert.Equal(8, model.IrVersion);
        OperatorSetIdProto opset = Assert.Single(model.OpsetImport);
        Assert.Equal(string.Empty, opset.Domain);
        Assert.Equal(17, opset.Version);
        var ops = new HashSet<string>();
        foreach (NodeProto node in model.Graph.Node)
        {
            ops.Add(node.OpType);
        }

        Assert.Contains("LayerNormalization", ops);
        Assert.Contains("Softmax", ops);
        Assert.Contains("Erf", ops);
        Assert.Contains("Reshape", ops);
        Assert.Contains("Transpose", ops);
        Assert.DoesNotContain("Gelu", ops);
        TensorShapeProto shape = model.Graph.Input[0].Type.TensorType.Shape;
        Assert.Equal(VitBlockModel.BatchDimension, shape.Dim[0].DimParam);
        Assert.Equal(Tokens, shape.Dim[1].DimValue);
        Assert.Equal(Dim, shape.Dim[2].DimValue);
    }

    [Fact]
    public void Create_SameSeed_IsDeterministic()
    {
        ModelProto first = VitBlockModel.Create(Tokens, Dim, Heads, Mlp, seed: 42);
        ModelProto second = VitBlockModel.Create(Tokens, Dim, Heads, Mlp, seed: 42);
        ModelProto other = VitBlockModel.Create(Tokens, Dim, Heads, Mlp, seed: 43);

        Assert.Equal(first, second);
        Assert.Equal(first.ToByteArray(), second.ToByteArray());
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Create_WithWeights_StoresThemAsInitializers()
    {
        VitBlockWeights weights = VitBlockWeights.Random(Dim, Mlp, seed: 9);

        Func<string, float[]> stored = Initializers(VitBlockModel.Create(weights, Tokens, Heads));

        Assert.Equal(weights.QueryWeight, stored("attn.q.weight"));
        Assert.Equal(weights.OutputBias, stored("attn.out.bias"));
        Assert.Equal(weights.Ln2Scale, stored("ln2.scale"));
        Assert.Equal(weights.Fc1Weight, stored("mlp.fc1.weight"));
        Assert.Equal(weights.Fc2Bias, stored("mlp.fc2.bias"));
    }

    [Fact]
    public void Create_DimNotDivisibleByHeads_Throws()
    {
        Assert.Throws<ArgumentException>(() => VitBlockModel.Create(Tokens, 10, 3, Mlp, seed: 1));
    }

    private static Func<string, float[]> Initializers(ModelProto model)
    {
        var byName = new Dictionary<string, float[]>();
        foreach (TensorProto tensor in model.Graph.Initializer)
        {
            if (tensor.DataType == (int)TensorProto.Types.DataType.Float)
            {
                byName.Add(tensor.Name, OnnxTensor.ToFloats(tensor));
            }
        }

        return name => byName[name];
    }

    private static float MaxAbsDifference(float[] a, float[] b)
    {
        float max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        }

        return max;
    }
}
