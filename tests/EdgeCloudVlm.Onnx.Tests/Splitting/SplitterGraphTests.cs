using EdgeCloudVlm.Onnx.Proto;
using EdgeCloudVlm.Onnx.Splitting;
using Microsoft.ML.OnnxRuntime;

namespace EdgeCloudVlm.Onnx.Tests.Splitting;

/// <summary>The splitter on small graphs built for one situation each.</summary>
public sealed class SplitterGraphTests
{
    private const TensorProto.Types.DataType Float = TensorProto.Types.DataType.Float;

    private static Dictionary<string, (float[] Values, long[] Shape)> Input(string name, float[] values) =>
        new(StringComparer.Ordinal) { [name] = (values, [values.Length]) };

    private static void AssertSplitMatches(ModelProto model, OnnxSplitResult split, Dictionary<string, (float[] Values, long[] Shape)> input, string output)
    {
        using InferenceSession whole = SplitRunner.Session(model);
        using InferenceSession head = SplitRunner.Session(split.Head);
        using InferenceSession tail = SplitRunner.Session(split.Tail);
        (float[] expected, _) = SplitRunner.RunWhole(whole, input, output);
        (float[] actual, _) = SplitRunner.RunSplit(head, tail, input, output);
        Assert.Equal(expected, actual);
    }

    private static TypeProto FloatVector(long length)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = length });
        return new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)Float, Shape = shape } };
    }

    // y = If(sum(relu(x)) > 0.5) then relu(x) + one else relu(x) - one; both branches read r and one from the outer scope.
    private static ModelProto IfWithOuterReferences()
    {
        static AttributeProto Branch(string attribute, string op)
        {
            var graph = new GraphProto { Name = attribute };
            graph.Node.Add(new NodeProto { OpType = op, Input = { "r", "one" }, Output = { attribute + ".out" } });
            graph.Output.Add(new ValueInfoProto { Name = attribute + ".out", Type = FloatVector(2) });
            return new AttributeProto { Name = attribute, Type = AttributeProto.Types.AttributeType.Graph, G = graph };
        }

        return new OnnxGraphBuilder("if_graph")
            .AddInput("x", Float, 2)
            .AddOutput("y", Float, 2)
            .AddInitializer("zero", [0.5f])
            .AddInitializer("one", [1f])
            .AddNode("Relu", ["x"], ["r"])
            .AddNode("ReduceSum", ["r"], ["s"], OnnxAttribute.Int("keepdims", 0))
            .AddNode("Greater", ["s", "zero"], ["c"])
            .AddNode("If", ["c"], ["y"], Branch("then_branch", "Add"), Branch("else_branch", "Sub"))
            .Build();
    }

    [Fact]
    public void Split_SubgraphReadsHeadTensorFromOuterScope_ThrowsNamingIt()
    {
        OnnxSplitException error = Assert.Throws<OnnxSplitException>(() => OnnxModelSplitter.Split(IfWithOuterReferences(), "c"));

        Assert.Equal(OnnxSplitErrorKind.NotCleanCut, error.Kind);
        Assert.Equal(["r"], error.TensorNames);
    }

    [Theory]
    [InlineData(1f, 2f)]
    [InlineData(-1f, -2f)]
    public void Split_SubgraphWithOuterReferencesCutCleanly_MatchesAndMovesItsInitializer(float a, float b)
    {
        ModelProto model = IfWithOuterReferences();

        OnnxSplitResult split = OnnxModelSplitter.Split(model, ["c", "r"]);

        Assert.Equal(["If"], split.Tail.Graph.Node.Select(n => n.OpType));
        Assert.Equal(["one"], split.Tail.Graph.Initializer.Select(t => t.Name));
        Assert.Equal(["zero"], split.Head.Graph.Initializer.Select(t => t.Name));
        Assert.Equal((int)TensorProto.Types.DataType.Bool, split.Head.Graph.Output[0].Type.TensorType.ElemType);
        AssertSplitMatches(model, split, Input("x", [a, b]), "y");
    }

    [Fact]
    public void Split_InitializerReadOnBothSides_IsCopiedToBoth()
    {
        ModelProto model = new OnnxGraphBuilder("shared")
            .AddInput("x", Float, 3)
            .AddOutput("y", Float, 3)
            .AddInitializer("w", [2f, 3f, 4f], 3)
            .AddNode("Mul", ["x", "w"], ["a"])
            .AddNode("Add", ["a", "w"], ["y"])
            .Build();

        OnnxSplitResult split = OnnxModelSplitter.Split(model, "a");

        Assert.Equal(["w"], split.Report.SharedInitializers);
        Assert.Equal(["w"], split.Head.Graph.Initializer.Select(t => t.Name));
        Assert.Equal(["w"], split.Tail.Graph.Initializer.Select(t => t.Name));
        Assert.Equal(12, split.Report.HeadInitializerBytes);
        Assert.Equal(12, split.Report.TailInitializerBytes);
        AssertSplitMatches(model, split, Input("x", [1f, -1f, 0.5f]), "y");
    }

    [Fact]
    public void Split_NodesStoredOutOfOrder_PartsAreTopologicallySorted()
    {
        ModelProto model = VitBlockModel.Create(tokens: 3, dim: 4, heads: 2, mlpDim: 8, seed: 9);
        var nodes = model.Graph.Node.Reverse().ToList();
        model.Graph.Node.Clear();
        model.Graph.Node.AddRange(nodes);

        OnnxSplitResult split = OnnxModelSplitter.Split(model, "residual1");

        AssertTopologicallySorted(split.Head.Graph);
        AssertTopologicallySorted(split.Tail.Graph);
        Assert.Equal(model.Graph.Node.Count, split.Report.HeadNodeCount + split.Report.TailNodeCount);
    }

    [Fact]
    public void Split_NodeNoOutputNeeds_IsDroppedAndCounted()
    {
        ModelProto model = new OnnxGraphBuilder("dead")
            .AddInput("x", Float, 2)
            .AddOutput("y", Float, 2)
            .AddNode("Relu", ["x"], ["a"])
            .AddNode("Neg", ["x"], ["unused"])
            .AddNode("Exp", ["a"], ["y"])
            .Build();

        OnnxSplitResult split = OnnxModelSplitter.Split(model, "a");

        Assert.Equal((1, 1, 1), (split.Report.HeadNodeCount, split.Report.TailNodeCount, split.Report.DroppedNodeCount));
        Assert.DoesNotContain(split.Head.Graph.Node.Concat(split.Tail.Graph.Node), n => n.OpType == "Neg");
    }

    [Fact]
    public void Split_GraphOutputComputedByHead_NeedsExtraCrossingAndPassesThrough()
    {
        ModelProto model = new OnnxGraphBuilder("two_outputs")
            .AddInput("x", Float, 2)
            .AddOutput("a", Float, 2)
            .AddOutput("y", Float, 2)
            .AddNode("Relu", ["x"], ["a"])
            .AddNode("Neg", ["a"], ["b"])
            .AddNode("Exp", ["b"], ["y"])
            .Build();

        OnnxSplitException error = Assert.Throws<OnnxSplitException>(() => OnnxModelSplitter.Split(model, "b"));
        OnnxSplitResult split = OnnxModelSplitter.Split(model, "b", new OnnxSplitOptions { AllowExtraCrossingTensors = true });

        Assert.Equal(["a"], error.TensorNames);
        Assert.Contains("graph output", error.Message, StringComparison.Ordinal);
        Assert.Equal(["b", "a"], split.Tail.Graph.Input.Select(i => i.Name));
        Assert.Equal(["a", "y"], split.Tail.Graph.Output.Select(o => o.Name));
        AssertSplitMatches(model, split, Input("x", [0.5f, -3f]), "y");
        AssertSplitMatches(model, split, Input("x", [0.5f, -3f]), "a");
    }

    [Fact]
    public void Split_BoolCrossingTensorWithoutValueInfo_InfersItsElementType()
    {
        ModelProto model = new OnnxGraphBuilder("compare")
            .AddInput("x", Float, 4)
            .AddOutput("y", Float, 4)
            .AddInitializer("zero", [0f])
            .AddNode("Greater", ["x", "zero"], ["g"])
            .AddNode("Cast", ["g"], ["y"], OnnxAttribute.Int("to", (long)Float))
            .Build();

        OnnxSplitResult split = OnnxModelSplitter.Split(model, "g");

        Assert.Equal(TensorProto.Types.DataType.Bool, split.Report.CutTensors[0].ElementType);
        Assert.Equal((int)TensorProto.Types.DataType.Bool, split.Tail.Graph.Input[0].Type.TensorType.ElemType);
        AssertSplitMatches(model, split, Input("x", [1f, -1f, 0f, 2f]), "y");
    }

    [Fact]
    public void Split_OperatorOfUnknownDomainWithoutValueInfo_ThrowsUnknownTypeUntilDeclared()
    {
        ModelProto model = new OnnxGraphBuilder("custom")
            .ImportOpset("com.example", 1)
            .AddInput("x", Float, 2)
            .AddOutput("y", Float, 2)
            .AddNode(new NodeProto { OpType = "Mystery", Domain = "com.example", Input = { "x" }, Output = { "m" } })
            .AddNode("Relu", ["m"], ["y"])
            .Build();

        OnnxSplitException error = Assert.Throws<OnnxSplitException>(() => OnnxModelSplitter.Split(model, "m"));
        model.Graph.ValueInfo.Add(new ValueInfoProto { Name = "m", Type = FloatVector(2) });
        OnnxSplitResult split = OnnxModelSplitter.Split(model, "m");

        Assert.Equal(OnnxSplitErrorKind.UnknownType, error.Kind);
        Assert.Contains("'m'", error.Message, StringComparison.Ordinal);
        Assert.Equal(FloatVector(2), split.Head.Graph.Output[0].Type);
        Assert.Equal(8L, split.Report.CrossingBytes);
        Assert.Equal(model.OpsetImport, split.Tail.OpsetImport);
        Assert.Empty(split.Head.Graph.ValueInfo);
    }

    [Fact]
    public void Split_InitializerAlsoListedAsGraphInput_StaysListedOnTheSideThatReadsIt()
    {
        ModelProto model = new OnnxGraphBuilder("overridable")
            .AddInput("x", Float, 2)
            .AddOutput("y", Float, 2)
            .AddInitializer("w", [2f, 3f], 2)
            .AddNode("Mul", ["x", "w"], ["a"])
            .AddNode("Relu", ["a"], ["y"])
            .Build();
        model.Graph.Input.Add(new ValueInfoProto { Name = "w", Type = FloatVector(2) });

        OnnxSplitResult split = OnnxModelSplitter.Split(model, "a");

        Assert.Equal(["x", "w"], split.Head.Graph.Input.Select(i => i.Name));
        Assert.Equal(["a"], split.Tail.Graph.Input.Select(i => i.Name));
        Assert.Equal(["x"], split.Report.HeadGraphInputs);
        Assert.Empty(split.Tail.Graph.Initializer);
    }

    [Fact]
    public void Split_ValueInfoOfEachSide_StaysWithThatSide()
    {
        ModelProto model = new OnnxGraphBuilder("infos")
            .AddInput("x", Float, 2)
            .AddOutput("y", Float, 2)
            .AddNode("Relu", ["x"], ["a"])
            .AddNode("Neg", ["a"], ["b"])
            .AddNode("Exp", ["b"], ["y"])
            .Build();
        foreach (string name in (string[])["a", "b"])
        {
            model.Graph.ValueInfo.Add(new ValueInfoProto { Name = name, Type = FloatVector(2) });
        }

        OnnxSplitResult split = OnnxModelSplitter.Split(model, "a");

        Assert.Empty(split.Head.Graph.ValueInfo);
        Assert.Equal(["b"], split.Tail.Graph.ValueInfo.Select(v => v.Name));
        Assert.Equal(FloatVector(2), split.Tail.Graph.Input[0].Type);
    }

    [Fact]
    public void ListTensors_GraphWithCycle_ThrowsInvalidGraph()
    {
        ModelProto model = new OnnxGraphBuilder("ok")
            .AddInput("x", Float, 2)
            .AddOutput("y", Float, 2)
            .AddNode("Add", ["x", "x"], ["a"])
            .AddNode("Relu", ["a"], ["y"])
            .Build();
        model.Graph.Node[0].Input[1] = "y";

        OnnxSplitException error = Assert.Throws<OnnxSplitException>(() => OnnxModelInspector.ListTensors(model));

        Assert.Equal(OnnxSplitErrorKind.InvalidGraph, error.Kind);
        Assert.Contains("cycle", error.Message, StringComparison.Ordinal);
    }

    private static void AssertTopologicallySorted(GraphProto graph)
    {
        var defined = new HashSet<string>(graph.Input.Select(i => i.Name).Concat(graph.Initializer.Select(t => t.Name)), StringComparer.Ordinal);
        foreach (NodeProto node in graph.Node)
        {
            foreach (string input in node.Input)
            {
                Assert.True(input.Length == 0 || defined.Contains(input), $"{node.Name} reads '{input}' before it is defined");
            }

            foreach (string output in node.Output)
            {
                defined.Add(output);
            }
        }
    }
}
