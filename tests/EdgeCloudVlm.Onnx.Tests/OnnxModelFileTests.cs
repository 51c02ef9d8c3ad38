using EdgeCloudVlm.Onnx.Proto;
using EdgeCloudVlm.Onnx.Tests.Support;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace EdgeCloudVlm.Onnx.Tests;

public sealed class OnnxModelFileTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Load_SerializedBuiltModel_EqualsOriginal()
    {
        ModelProto model = VitBlockModel.Create(5, 8, 2, 16, seed: 1);

        ModelProto parsed = OnnxModelFile.Load(model.ToByteArray());

        Assert.Equal(model, parsed);
        Assert.Equal(model.ToByteArray(), parsed.ToByteArray());
    }

    [Fact]
    public void Save_ThenLoadFromPath_EqualsOriginalAndRunsInOrt()
    {
        ModelProto model = VitBlockModel.Create(5, 8, 2, 16, seed: 2);
        string path = _directory.File("block.onnx");

        OnnxModelFile.Save(model, path);
        ModelProto loaded = OnnxModelFile.Load(path);

        Assert.Equal(model, loaded);
        using var session = new InferenceSession(path);
        Assert.Equal(VitBlockModel.OutputName, Assert.Single(session.OutputMetadata).Key);
        Assert.Single(Directory.GetFiles(_directory.Path));
    }

    [Fact]
    public void Save_ExistingFile_IsReplaced()
    {
        string path = _directory.File("model.onnx");
        File.WriteAllBytes(path, new byte[100_000]);
        ModelProto model = VitBlockModel.Create(3, 4, 1, 8, seed: 3);

        OnnxModelFile.Save(model, path);

        Assert.Equal(model.ToByteArray(), File.ReadAllBytes(path));
    }

    // ONNX Runtime writes the model it loaded with its own (C++) protobuf code. Parsing that file and writing it
    // again byte for byte shows that field numbers, wire types and packing agree with ONNX's schema, including
    // fields the builder never sets (value_info, doc strings, domains).
    [Theory]
    [InlineData("vit", GraphOptimizationLevel.ORT_ENABLE_BASIC)]
    [InlineData("attributes", GraphOptimizationLevel.ORT_DISABLE_ALL)]
    public void Load_FileWrittenByOnnxRuntime_ReserializesToSameBytes(string graph, GraphOptimizationLevel level)
    {
        ModelProto model = graph == "vit" ? VitBlockModel.Create(5, 8, 2, 16, seed: 4) : SampleGraphs.EveryAttributeKind();
        string path = _directory.File("optimized.onnx");
        using (var options = new SessionOptions())
        {
            options.GraphOptimizationLevel = level;
            options.OptimizedModelFilePath = path;
            using var session = new InferenceSession(model.ToByteArray(), options);
        }

        byte[] written = File.ReadAllBytes(path);

        ModelProto parsed = OnnxModelFile.Load(written);
        Assert.Equal(written, parsed.ToByteArray());
        Assert.Equal(model.Graph.Input[0].Name, parsed.Graph.Input[0].Name);
        Assert.Contains(parsed.OpsetImport, o => o.Domain.Length == 0 && o.Version == 17);
        Assert.NotEmpty(parsed.Graph.Node);
        if (level == GraphOptimizationLevel.ORT_DISABLE_ALL)
        {
            // Without optimizations the nodes survive as written, except that ORT always turns Constant nodes into
            // initializers while loading.
            List<string> expected = OpTypes(model);
            expected.Remove("Constant");
            Assert.Equal(expected, OpTypes(parsed));
        }
    }

    private static List<string> OpTypes(ModelProto model)
    {
        var types = new List<string>();
        foreach (NodeProto node in model.Graph.Node)
        {
            types.Add(node.OpType);
        }

        return types;
    }

    [Fact]
    public void Load_Garbage_ThrowsProtocolBufferException()
    {
        byte[] garbage = [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F];

        Assert.Throws<InvalidProtocolBufferException>(() => OnnxModelFile.Load(garbage));
    }
}
