using EdgeCloudVlm.Onnx.Proto;
using EdgeCloudVlm.Onnx.Splitting;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;

namespace EdgeCloudVlm.Onnx.Tests.Splitting;

/// <summary>Holds one ONNX Runtime session of the whole ResNet18 for the tests of a class.</summary>
public sealed class ResNet18WholeSession : IDisposable
{
    public InferenceSession Session { get; } = SplitRunner.Session(ResNet18Model.Model);

    public void Dispose() => Session.Dispose();
}

public sealed class ResNet18SplitTests(ResNet18WholeSession whole, ITestOutputHelper output) : IClassFixture<ResNet18WholeSession>
{
    private const float Tolerance = 1e-5f;

    [Fact]
    public void Split_AtSecondStageOutput_HeadThenTailMatchesWholeModelOnTwoInputs()
    {
        OnnxSplitResult split = OnnxModelSplitter.Split(ResNet18Model.Model, ResNet18Model.SecondStageOutput);
        using InferenceSession head = SplitRunner.Session(split.Head);
        using InferenceSession tail = SplitRunner.Session(split.Tail);

        var wholeOutputs = new List<float[]>();
        foreach (int seed in (int[])[101, 202])
        {
            Dictionary<string, (float[] Values, long[] Shape)> input = ResNet18Model.Input(seed);

            (float[] expected, long[] expectedShape) = SplitRunner.RunWhole(whole.Session, input, ResNet18Model.OutputName);
            (float[] actual, long[] actualShape) = SplitRunner.RunSplit(head, tail, input, ResNet18Model.OutputName);

            float difference = SplitRunner.MaxAbsDifference(expected, actual);
            output.WriteLine($"seed {seed}: max |whole - head→tail| = {difference:E3}");
            Assert.Equal(new long[] { 1, 512, 1, 1 }, actualShape);
            Assert.Equal(expectedShape, actualShape);
            Assert.True(difference <= Tolerance, $"max abs difference {difference} exceeds {Tolerance}");
            wholeOutputs.Add(expected);
        }

        // The two inputs must produce clearly different features, or agreement would prove little.
        Assert.True(SplitRunner.MaxAbsDifference(wholeOutputs[0], wholeOutputs[1]) > 1e-2f);
    }

    [Fact]
    public void Split_AtSecondStageOutput_HeadOutputIsExactlyTheCutTensor()
    {
        OnnxSplitResult split = OnnxModelSplitter.Split(ResNet18Model.Model, ResNet18Model.SecondStageOutput);

        ValueInfoProto headOutput = Assert.Single(split.Head.Graph.Output);
        Assert.Equal(ResNet18Model.SecondStageOutput, headOutput.Name);
        Assert.Equal([1L, 128, 28, 28], headOutput.Type.TensorType.Shape.Dim.Select(d => d.DimValue));
        Assert.Equal([ResNet18Model.InputName], split.Head.Graph.Input.Select(i => i.Name));
        Assert.Equal([ResNet18Model.SecondStageOutput], split.Tail.Graph.Input.Select(i => i.Name));
        Assert.Equal([ResNet18Model.OutputName], split.Tail.Graph.Output.Select(o => o.Name));

        using InferenceSession head = SplitRunner.Session(split.Head);
        Assert.Equal([ResNet18Model.SecondStageOutput], head.OutputNames);
        Assert.Equal([1, 128, 28, 28], head.OutputMetadata[ResNet18Model.SecondStageOutput].Dimensions);
    }

    [Fact]
    public void Split_AtSecondStageOutput_ReportsCountsAndDisjointWeights()
    {
        ModelProto model = ResNet18Model.Model;

        OnnxSplitReport report = OnnxModelSplitter.Split(model, ResNet18Model.SecondStageOutput).Report;

        OnnxTensorInfo cut = Assert.Single(report.CrossingTensors);
        Assert.Equal(("Relu", "[1,128,28,28]", TensorProto.Types.DataType.Float), (cut.ProducerOpType, cut.FormatShape(), cut.ElementType));
        Assert.Equal(128L * 28 * 28 * sizeof(float), report.CrossingBytes);
        Assert.Empty(report.ExtraCrossingTensors);
        Assert.Empty(report.TailGraphInputs);
        Assert.Empty(report.SharedInitializers);
        Assert.Equal(model.Graph.Node.Count, report.HeadNodeCount + report.TailNodeCount);
        Assert.Equal(0, report.DroppedNodeCount);
        long allWeights = model.Graph.Initializer.Sum(t => (long)t.RawData.Length + (t.FloatData.Count * sizeof(float)));
        Assert.Equal(allWeights, report.HeadInitializerBytes + report.TailInitializerBytes);
        Assert.True(report.HeadInitializerBytes < report.TailInitializerBytes, "the first two stages hold the fewest weights");
    }

    [Fact]
    public void Split_InsideResidualBlock_ThrowsNamingTheSkipTensor()
    {
        OnnxSplitException error = Assert.Throws<OnnxSplitException>(
            () => OnnxModelSplitter.Split(ResNet18Model.Model, ResNet18Model.InsideBlock));

        Assert.Equal(OnnxSplitErrorKind.NotCleanCut, error.Kind);
        Assert.Equal([ResNet18Model.SkipTensor], error.TensorNames);
        Assert.Contains(ResNet18Model.SkipTensor, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Split_InsideResidualBlockWithExtraCrossingAllowed_MatchesWholeModel()
    {
        OnnxSplitResult split = OnnxModelSplitter.Split(
            ResNet18Model.Model, ResNet18Model.InsideBlock, new OnnxSplitOptions { AllowExtraCrossingTensors = true });
        using InferenceSession head = SplitRunner.Session(split.Head);
        using InferenceSession tail = SplitRunner.Session(split.Tail);
        Dictionary<string, (float[] Values, long[] Shape)> input = ResNet18Model.Input(seed: 303);

        (float[] expected, _) = SplitRunner.RunWhole(whole.Session, input, ResNet18Model.OutputName);
        (float[] actual, _) = SplitRunner.RunSplit(head, tail, input, ResNet18Model.OutputName);

        Assert.Equal([ResNet18Model.InsideBlock, ResNet18Model.SkipTensor], split.Head.Graph.Output.Select(o => o.Name));
        Assert.Equal([ResNet18Model.SkipTensor], split.Report.ExtraCrossingTensors.Select(t => t.Name));
        float difference = SplitRunner.MaxAbsDifference(expected, actual);
        Assert.True(difference <= Tolerance, $"max abs difference {difference} exceeds {Tolerance}");
    }

    [Fact]
    public void ListTensors_ResNet18_ListsEveryNodeOutputInOrderWithShapes()
    {
        IReadOnlyList<OnnxTensorInfo> tensors = OnnxModelInspector.ListTensors(ResNet18Model.Model);

        Assert.Equal(ResNet18Model.Model.Graph.Node.Count, tensors.Count);
        int cut = tensors.ToList().FindIndex(t => t.Name == ResNet18Model.SecondStageOutput);
        Assert.True(cut > 0);
        Assert.Equal("[1,128,28,28]", tensors[cut].FormatShape());
        Assert.True(cut > tensors.ToList().FindIndex(t => t.Name == ResNet18Model.SkipTensor));
        OnnxTensorInfo last = tensors[^1];
        Assert.Equal((ResNet18Model.OutputName, true), (last.Name, last.IsGraphOutput));
        Assert.DoesNotContain(tensors, t => t.Name == ResNet18Model.InputName);
    }
}
