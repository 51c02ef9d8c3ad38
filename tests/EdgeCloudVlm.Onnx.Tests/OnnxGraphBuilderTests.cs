using System.Text;
using EdgeCloudVlm.Onnx.Proto;
using EdgeCloudVlm.Onnx.Tests.Support;

namespace EdgeCloudVlm.Onnx.Tests;

public sealed class OnnxGraphBuilderTests
{
    private const TensorProto.Types.DataType Float = TensorProto.Types.DataType.Float;

    [Fact]
    public void Build_SimpleGraph_SetsIrVersionOpsetAndSignature()
    {
        ModelProto model = new OnnxGraphBuilder("relu")
            .AddInput("x", Float, "batch", 4)
            .AddOutput("y", Float, "batch", 4)
            .AddNode("Relu", ["x"], ["y"])
            .AddMetadata("purpose", "test")
            .Build();

        Assert.Equal(OnnxGraphBuilder.IrVersion, model.IrVersion);
        Assert.Equal(8, model.IrVersion);
        Assert.Equal(OnnxGraphBuilder.ProducerName, model.ProducerName);
        OperatorSetIdProto opset = Assert.Single(model.OpsetImport);
        Assert.Equal((string.Empty, 17L), (opset.Domain, opset.Version));
        Assert.Equal("relu", model.Graph.Name);
        TypeProto.Types.Tensor input = model.Graph.Input[0].Type.TensorType;
        Assert.Equal((int)Float, input.ElemType);
        Assert.Equal("batch", input.Shape.Dim[0].DimParam);
        Assert.Equal(4, input.Shape.Dim[1].DimValue);
        Assert.Equal("Relu", Assert.Single(model.Graph.Node).OpType);
        Assert.Equal("test", Assert.Single(model.MetadataProps).Value);
    }

    [Fact]
    public void Build_GraphUsingEveryAttributeHelper_RunsInOrtWithExpectedValues()
    {
        ModelProto model = SampleGraphs.EveryAttributeKind();

        (float[] y, long[] shape) = Ort.Run(model, "x", SampleGraphs.EveryAttributeKindInput, [2, 3], "y");

        Assert.Equal(new long[] { 6, 4 }, shape);
        float[] rows = [11f, 11f, 19.6f, 19.6f, 9.8f, 9.8f, 25f, 25f, 13f, 13f, 19.4f, 19.4f];
        Ort.AssertClose([.. rows, .. rows], y, 1e-5f);
    }

    [Fact]
    public void AttributeHelpers_EachSetsMatchingTypeAndValue()
    {
        AttributeProto i = OnnxAttribute.Int("axis", -1);
        AttributeProto f = OnnxAttribute.Float("epsilon", 1e-5f);
        AttributeProto s = OnnxAttribute.String("mode", "edge");
        AttributeProto ints = OnnxAttribute.Ints("perm", 0, 2, 1, 3);
        AttributeProto floats = OnnxAttribute.Floats("scales", 1f, 2f);
        AttributeProto t = OnnxAttribute.Tensor("value", OnnxTensor.FromFloats("v", [1f], []));

        Assert.Equal((AttributeProto.Types.AttributeType.Int, -1L), (i.Type, i.I));
        Assert.Equal((AttributeProto.Types.AttributeType.Float, 1e-5f), (f.Type, f.F));
        Assert.Equal(AttributeProto.Types.AttributeType.String, s.Type);
        Assert.Equal("edge", Encoding.UTF8.GetString(s.S.Span));
        Assert.Equal(AttributeProto.Types.AttributeType.Ints, ints.Type);
        Assert.Equal(new long[] { 0, 2, 1, 3 }, ints.Ints);
        Assert.Equal(AttributeProto.Types.AttributeType.Floats, floats.Type);
        Assert.Equal(new[] { 1f, 2f }, floats.Floats);
        Assert.Equal(AttributeProto.Types.AttributeType.Tensor, t.Type);
        Assert.Equal("v", t.T.Name);
    }

    [Fact]
    public void Build_NodeReadsUndefinedValue_Throws()
    {
        OnnxGraphBuilder builder = new OnnxGraphBuilder("bad")
            .AddInput("x", Float, 2)
            .AddOutput("y", Float, 2)
            .AddNode("Add", ["x", "missing"], ["y"]);

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(builder.Build);
        Assert.Contains("missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_NodeUsesValueBeforeItsProducer_Throws()
    {
        OnnxGraphBuilder builder = new OnnxGraphBuilder("order")
            .AddInput("x", Float, 2)
            .AddOutput("y", Float, 2)
            .AddNode("Relu", ["h"], ["y"])
            .AddNode("Relu", ["x"], ["h"]);

        Assert.Throws<InvalidOperationException>(builder.Build);
    }

    [Fact]
    public void Build_OutputNeverProduced_Throws()
    {
        OnnxGraphBuilder builder = new OnnxGraphBuilder("dangling")
            .AddInput("x", Float, 2)
            .AddOutput("y", Float, 2)
            .AddNode("Relu", ["x"], ["z"]);

        Assert.Throws<InvalidOperationException>(builder.Build);
    }

    [Fact]
    public void Build_ValueDefinedTwice_Throws()
    {
        OnnxGraphBuilder builder = new OnnxGraphBuilder("twice")
            .AddInput("x", Float, 2)
            .AddOutput("y", Float, 2)
            .AddNode("Relu", ["x"], ["y"])
            .AddNode("Neg", ["x"], ["y"]);

        Assert.Throws<InvalidOperationException>(builder.Build);
    }

    [Fact]
    public void Build_EmptyOptionalInput_IsAccepted()
    {
        ModelProto model = new OnnxGraphBuilder("clip")
            .AddInput("x", Float, 3)
            .AddOutput("y", Float, 3)
            .AddInitializer("max", [1f])
            .AddNode("Clip", ["x", string.Empty, "max"], ["y"])
            .Build();

        (float[] y, _) = Ort.Run(model, "x", [-5f, 0.5f, 7f], [3], "y");

        Assert.Equal(new[] { -5f, 0.5f, 1f }, y);
    }

    [Fact]
    public void ImportOpset_OverridesDefaultAndAddsDomains()
    {
        ModelProto model = new OnnxGraphBuilder("opsets")
            .AddInput("x", Float, 1)
            .AddOutput("y", Float, 1)
            .AddNode("Identity", ["x"], ["y"])
            .ImportOpset(string.Empty, 18)
            .ImportOpset("com.microsoft", 1)
            .Build();

        Assert.Equal(2, model.OpsetImport.Count);
        Assert.Contains(model.OpsetImport, o => o.Domain.Length == 0 && o.Version == 18);
        Assert.Contains(model.OpsetImport, o => o.Domain == "com.microsoft" && o.Version == 1);
    }

    [Fact]
    public void Build_CalledTwice_ReturnsIndependentEqualModels()
    {
        OnnxGraphBuilder builder = new OnnxGraphBuilder("g")
            .AddInput("x", Float, 1)
            .AddOutput("y", Float, 1)
            .AddNode("Identity", ["x"], ["y"]);

        ModelProto first = builder.Build();
        ModelProto second = builder.Build();
        second.Graph.Node[0].Name = "changed";

        Assert.NotEqual(first, second);
        Assert.NotEqual("changed", builder.Build().Graph.Node[0].Name);
    }

    [Fact]
    public void OnnxDim_ImplicitConversions_ProduceFixedAndSymbolicDimensions()
    {
        OnnxDim fixedDim = 577;
        OnnxDim symbolic = "batch";

        Assert.Equal(577, fixedDim.ToProto().DimValue);
        Assert.Equal(TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue, fixedDim.ToProto().ValueCase);
        Assert.Equal("batch", symbolic.ToProto().DimParam);
        Assert.Equal(TensorShapeProto.Types.Dimension.ValueOneofCase.None, default(OnnxDim).ToProto().ValueCase);
        Assert.Throws<ArgumentOutOfRangeException>(() => OnnxDim.Fixed(-1));
    }
}
