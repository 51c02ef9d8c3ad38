using System.Text.Json.Nodes;
using EdgeCloudVlm.Inference.Manifest;
using EdgeCloudVlm.Inference.Runtime;
using EdgeCloudVlm.Inference.Tests.Support;

namespace EdgeCloudVlm.Inference.Tests.Runtime;

public sealed class PartSignatureTests
{
    [Fact]
    public void Load_ManifestInputNameNotInGraph_NamesPart()
    {
        using TempFolder folder = TempFolder.WithDemoModel("vision_edge.onnx");
        RewriteManifest(folder, root => root["parts"]!["vision_edge"]!["inputs"]![0]!["name"] = "pixels");

        var ex = Assert.Throws<ModelLoadException>(() => VlmModel.Load(folder.Path, CpuEdgeOnly()));

        Assert.Equal("vision_edge", ex.PartName);
        Assert.Equal("part 'vision_edge' input 'pixels' not found in vision_edge.onnx (it has: pixel_values)", ex.Message);
    }

    [Fact]
    public void Load_ManifestDtypeOutsideContract_NamesPart()
    {
        using TempFolder folder = TempFolder.WithDemoModel("embed_tokens.onnx");
        RewriteManifest(folder, root => root["parts"]!["embed_tokens"]!["outputs"]![0]!["dtype"] = "float16");
        var options = new VlmModelOptions
        {
            Session = new OnnxSessionOptions { Provider = ExecutionProvider.Cpu },
            Parts = [ModelPartNames.EmbedTokens],
        };

        var ex = Assert.Throws<ModelLoadException>(() => VlmModel.Load(folder.Path, options));

        Assert.Equal("embed_tokens", ex.PartName);
        Assert.Equal("part 'embed_tokens' output 'inputs_embeds' has dtype float16, expected float32", ex.Message);
    }

    [Fact]
    public void Validate_DtypeDisagreesWithGraph_NamesPart()
    {
        ModelManifest manifest = ModelManifest.Load(ModelFolder.Path);
        ModelPart part = manifest.GetPart(ModelPartNames.EmbedTokens);
        ModelPart wrong = part with { Inputs = [part.Inputs[0] with { Dtype = "int32" }] };
        using OnnxSession session = Cpu(manifest, ModelPartNames.EmbedTokens);

        var ex = Assert.Throws<ModelLoadException>(() => PartSignature.Validate(wrong, session));

        Assert.Equal("part 'embed_tokens' input 'input_ids' is Int64 in embed_tokens.onnx, model.json says int32", ex.Message);
    }

    [Fact]
    public void Validate_RankDisagreesWithGraph_NamesPart()
    {
        ModelManifest manifest = ModelManifest.Load(ModelFolder.Path);
        ModelPart part = manifest.GetPart(ModelPartNames.VisionEdge);
        ModelPart wrong = part with { Inputs = [part.Inputs[0] with { Shape = part.Inputs[0].Shape.Skip(1).ToArray() }] };
        using OnnxSession session = Cpu(manifest, ModelPartNames.VisionEdge);

        var ex = Assert.Throws<ModelLoadException>(() => PartSignature.Validate(wrong, session));

        Assert.Equal("part 'vision_edge' input 'pixel_values' has rank 4 in vision_edge.onnx, model.json says 3", ex.Message);
    }

    [Fact]
    public void Validate_FixedSizeDisagreesWithGraph_NamesPart()
    {
        ModelManifest manifest = ModelManifest.Load(ModelFolder.Path);
        ModelPart part = manifest.GetPart(ModelPartNames.VisionCloud);
        TensorSpec output = part.Outputs[0];
        ModelPart wrong = part with { Outputs = [output with { Shape = [output.Shape[0], output.Shape[1], TensorDim.Fixed(7)] }] };
        using OnnxSession session = Cpu(manifest, ModelPartNames.VisionCloud);

        var ex = Assert.Throws<ModelLoadException>(() => PartSignature.Validate(wrong, session));

        Assert.Equal("vision_cloud", ex.PartName);
        Assert.Contains($"has size {manifest.LanguageModel.HiddenSize} on axis 2 in vision_cloud.onnx, model.json says 7", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_GraphInputMissingFromManifest_NamesPart()
    {
        ModelManifest manifest = ModelManifest.Load(ModelFolder.Path);
        ModelPart part = manifest.GetPart(ModelPartNames.Decoder);
        ModelPart wrong = part with { Inputs = part.Inputs.Where(i => i.Name != "position_ids").ToArray() };
        using OnnxSession session = Cpu(manifest, ModelPartNames.Decoder);

        var ex = Assert.Throws<ModelLoadException>(() => PartSignature.Validate(wrong, session));

        Assert.Equal("part 'decoder' decoder.onnx needs input 'position_ids' that model.json does not list", ex.Message);
    }

    [Fact]
    public void Validate_GraphSwappedForAnotherPart_NamesPart()
    {
        // vision_cloud.onnx where vision_edge.onnx should be: the graph's input is a rank-3 hidden state.
        ModelManifest manifest = ModelManifest.Load(ModelFolder.Path);
        using OnnxSession wrong = OnnxSession.Create(
            manifest.GetPartPath(ModelPartNames.VisionCloud), new OnnxSessionOptions { Provider = ExecutionProvider.Cpu });

        var ex = Assert.Throws<ModelLoadException>(() => PartSignature.Validate(manifest.GetPart(ModelPartNames.VisionEdge), wrong));

        Assert.Equal("vision_edge", ex.PartName);
        Assert.StartsWith("part 'vision_edge' input 'pixel_values' not found in vision_cloud.onnx", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_EdgeOnly_OtherPartsUnavailable()
    {
        using TempFolder folder = TempFolder.WithDemoModel("vision_edge.onnx");

        using VlmModel model = VlmModel.Load(folder.Path, CpuEdgeOnly());

        Assert.True(model.HasPart(ModelPartNames.VisionEdge));
        Assert.False(model.HasPart(ModelPartNames.Decoder));
        var ex = Assert.Throws<InvalidOperationException>(() => model.Decoder);
        Assert.Contains("'decoder'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_AutoProvider_LogsOneLineForAllParts()
    {
        var log = new ListLogger();

        using VlmModel model = VlmModel.Load(ModelFolder.Path, new VlmModelOptions(), log);

        Assert.Equal(ExecutionProvider.Cpu, model.ActiveProvider);
        Assert.Single(log.Entries);
    }

    private static OnnxSession Cpu(ModelManifest manifest, string part) =>
        OnnxSession.Create(manifest.GetPartPath(part), new OnnxSessionOptions { Provider = ExecutionProvider.Cpu });

    private static VlmModelOptions CpuEdgeOnly() => new()
    {
        Session = new OnnxSessionOptions { Provider = ExecutionProvider.Cpu },
        Parts = [ModelPartNames.VisionEdge],
    };

    private static void RewriteManifest(TempFolder folder, Action<JsonNode> edit)
    {
        JsonNode root = JsonNode.Parse(File.ReadAllText(folder.File("model.json")))!;
        edit(root);
        File.WriteAllText(folder.File("model.json"), root.ToJsonString());
    }
}
