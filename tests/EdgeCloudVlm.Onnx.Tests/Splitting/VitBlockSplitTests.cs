using EdgeCloudVlm.Onnx.Proto;
using EdgeCloudVlm.Onnx.Splitting;
using Microsoft.ML.OnnxRuntime;

namespace EdgeCloudVlm.Onnx.Tests.Splitting;

public sealed class VitBlockSplitTests
{
    private const int Tokens = 5;
    private const int Dim = 8;
    private const int Heads = 2;
    private const int Mlp = 16;
    private const float Tolerance = 1e-5f;

    private static ModelProto Block() =>
        VitBlockModel.Create(VitBlockWeights.Random(Dim, Mlp, seed: 7, standardDeviation: 0.4f), Tokens, Heads);

    private static Dictionary<string, (float[] Values, long[] Shape)> Input(int batch, int seed) =>
        new(StringComparer.Ordinal) { [VitBlockModel.InputName] = (Support.Ort.RandomInput(batch * Tokens * Dim, seed), [batch, Tokens, Dim]) };

    private static float MaxSplitError(ModelProto model, OnnxSplitResult split, int batch, int seed)
    {
        using InferenceSession whole = SplitRunner.Session(model);
        using InferenceSession head = SplitRunner.Session(split.Head);
        using InferenceSession tail = SplitRunner.Session(split.Tail);
        Dictionary<string, (float[] Values, long[] Shape)> input = Input(batch, seed);
        (float[] expected, _) = SplitRunner.RunWhole(whole, input, VitBlockModel.OutputName);
        (float[] actual, long[] shape) = SplitRunner.RunSplit(head, tail, input, VitBlockModel.OutputName);
        Assert.Equal(new long[] { batch, Tokens, Dim }, shape);
        return SplitRunner.MaxAbsDifference(expected, actual);
    }

    [Theory]
    [InlineData(1, 31)]
    [InlineData(3, 32)]
    public void Split_AtResidualAfterAttention_HeadThenTailMatchesWholeBlock(int batch, int seed)
    {
        ModelProto model = Block();

        OnnxSplitResult split = OnnxModelSplitter.Split(model, "residual1");

        Assert.True(MaxSplitError(model, split, batch, seed) <= Tolerance);
    }

    [Fact]
    public void Split_AtResidualAfterAttention_PartsHaveExpectedSignaturesAndWeights()
    {
        OnnxSplitResult split = OnnxModelSplitter.Split(Block(), "residual1");

        Assert.Equal(["residual1"], split.Head.Graph.Output.Select(o => o.Name));
        Assert.Equal([VitBlockModel.InputName], split.Head.Graph.Input.Select(i => i.Name));
        // The residual stream carries x forward, so the tail needs nothing but the cut tensor.
        Assert.Equal(["residual1"], split.Tail.Graph.Input.Select(i => i.Name));
        Assert.Equal([VitBlockModel.OutputName], split.Tail.Graph.Output.Select(o => o.Name));
        Assert.Contains(split.Head.Graph.Initializer, t => t.Name == "attn.q.weight");
        Assert.DoesNotContain(split.Head.Graph.Initializer, t => t.Name.StartsWith("mlp.", StringComparison.Ordinal));
        Assert.Contains(split.Tail.Graph.Initializer, t => t.Name == "mlp.fc1.weight");
        Assert.DoesNotContain(split.Tail.Graph.Initializer, t => t.Name.StartsWith("attn.", StringComparison.Ordinal));
        Assert.Equal("LayerNormalization", split.Tail.Graph.Node[0].OpType);
    }

    [Fact]
    public void Split_TensorWithoutValueInfo_DeclaresElementTypeWithUnknownRank()
    {
        OnnxSplitResult split = OnnxModelSplitter.Split(Block(), "residual1");

        TypeProto.Types.Tensor type = Assert.Single(split.Head.Graph.Output).Type.TensorType;
        Assert.Equal((int)TensorProto.Types.DataType.Float, type.ElemType);
        Assert.Null(type.Shape);
        Assert.Null(split.Report.CutTensors[0].Shape);
        Assert.Null(split.Report.CrossingBytes);
    }

    [Fact]
    public void Split_Always_PreservesModelFieldsAndAddsSplitMetadata()
    {
        ModelProto model = Block();
        model.DocString = "a block";
        model.ModelVersion = 3;

        OnnxSplitResult split = OnnxModelSplitter.Split(model, "residual1");

        foreach ((ModelProto part, string name) in new[] { (split.Head, "head"), (split.Tail, "tail") })
        {
            Assert.Equal(model.IrVersion, part.IrVersion);
            Assert.Equal(model.OpsetImport, part.OpsetImport);
            Assert.Equal((model.ProducerName, model.DocString, 3L), (part.ProducerName, part.DocString, part.ModelVersion));
            Dictionary<string, string> metadata = part.MetadataProps.ToDictionary(e => e.Key, e => e.Value);
            Assert.Equal(model.MetadataProps[0].Value, metadata[model.MetadataProps[0].Key]);
            Assert.Equal(name, metadata["edgecloudvlm.split.part"]);
            Assert.Equal("residual1", metadata["edgecloudvlm.split.tensors"]);
            Assert.Equal("vit_block_" + name, part.Graph.Name);
        }
    }

    [Fact]
    public void Split_UnknownTensorName_ThrowsNamingItAndSuggestingCloseNames()
    {
        OnnxSplitException error = Assert.Throws<OnnxSplitException>(() => OnnxModelSplitter.Split(Block(), "residual_1"));

        Assert.Equal(OnnxSplitErrorKind.UnknownTensor, error.Kind);
        Assert.Equal(["residual_1"], error.TensorNames);
        Assert.Contains("'residual_1'", error.Message, StringComparison.Ordinal);
        Assert.Equal("residual1", error.Suggestions[0]);
        Assert.Contains("'residual1'", error.Message, StringComparison.Ordinal);
        Assert.InRange(error.Suggestions.Count, 1, 5);
    }

    [Theory]
    [InlineData(VitBlockModel.InputName)]
    [InlineData("ln1.scale")]
    public void Split_GraphInputOrInitializer_ThrowsNotComputed(string name)
    {
        OnnxSplitException error = Assert.Throws<OnnxSplitException>(() => OnnxModelSplitter.Split(Block(), name));

        Assert.Equal(OnnxSplitErrorKind.NotComputed, error.Kind);
        Assert.Contains($"'{name}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Split_AfterSecondLayerNorm_ThrowsBecauseTailNeedsTheResidual()
    {
        OnnxSplitException error = Assert.Throws<OnnxSplitException>(() => OnnxModelSplitter.Split(Block(), "ln2.out"));

        Assert.Equal(OnnxSplitErrorKind.NotCleanCut, error.Kind);
        Assert.Equal(["residual1"], error.TensorNames);
        Assert.Contains("'residual1'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Split_AfterSecondLayerNormWithExtraCrossingAllowed_ExportsResidualAndMatches()
    {
        ModelProto model = Block();

        OnnxSplitResult split = OnnxModelSplitter.Split(model, "ln2.out", new OnnxSplitOptions { AllowExtraCrossingTensors = true });

        Assert.Equal(["ln2.out", "residual1"], split.Head.Graph.Output.Select(o => o.Name));
        Assert.Equal(["ln2.out", "residual1"], split.Tail.Graph.Input.Select(i => i.Name));
        Assert.Equal(["residual1"], split.Report.ExtraCrossingTensors.Select(t => t.Name));
        Assert.Equal(["ln2.out", "residual1"], split.Report.CrossingTensors.Select(t => t.Name));
        Assert.True(MaxSplitError(model, split, batch: 2, seed: 41) <= Tolerance);
    }

    [Fact]
    public void Split_AtBothResidualParts_IsCleanAndMatches()
    {
        ModelProto model = Block();

        OnnxSplitResult split = OnnxModelSplitter.Split(model, ["residual1", "ln2.out"]);

        Assert.Empty(split.Report.ExtraCrossingTensors);
        Assert.Equal(["residual1", "ln2.out"], split.Head.Graph.Output.Select(o => o.Name));
        Assert.Equal("residual1,ln2.out", split.Head.MetadataProps.Single(e => e.Key == "edgecloudvlm.split.tensors").Value);
        Assert.True(MaxSplitError(model, split, batch: 1, seed: 42) <= Tolerance);
    }

    [Fact]
    public void Split_AtAttentionOutput_TailAlsoTakesTheGraphInput()
    {
        ModelProto model = Block();

        OnnxSplitResult split = OnnxModelSplitter.Split(model, "attn.out");

        Assert.Equal(["attn.out", VitBlockModel.InputName], split.Tail.Graph.Input.Select(i => i.Name));
        Assert.Equal([VitBlockModel.InputName], split.Report.TailGraphInputs);
        Assert.Equal([VitBlockModel.InputName], split.Report.HeadGraphInputs);
        Assert.True(MaxSplitError(model, split, batch: 2, seed: 43) <= Tolerance);
    }

    [Fact]
    public void Split_SameNameTwice_ThrowsArgumentException()
    {
        Assert.Throws<ArgumentException>(() => OnnxModelSplitter.Split(Block(), ["residual1", "residual1"]));
        Assert.Throws<ArgumentException>(() => OnnxModelSplitter.Split(Block(), Array.Empty<string>()));
    }

    [Fact]
    public void ListTensors_VitBlock_ContainsSplitTensorInTopologicalOrder()
    {
        ModelProto model = Block();

        IReadOnlyList<OnnxTensorInfo> tensors = OnnxModelInspector.ListTensors(model);

        List<string> names = tensors.Select(t => t.Name).ToList();
        Assert.Equal(model.Graph.Node.Count, names.Count);
        int residual = names.IndexOf("residual1");
        Assert.True(residual > names.IndexOf("attn.out"));
        Assert.True(residual < names.IndexOf("ln2.out"));
        OnnxTensorInfo info = tensors[residual];
        Assert.Equal(("Add", TensorProto.Types.DataType.Float, false), (info.ProducerOpType, info.ElementType, info.IsGraphOutput));
        Assert.True(tensors[^1].IsGraphOutput);
        Assert.DoesNotContain(VitBlockModel.InputName, names);
        Assert.DoesNotContain("ln1.scale", names);
    }
}
