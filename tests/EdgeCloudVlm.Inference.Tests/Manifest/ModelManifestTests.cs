using System.Text.Json.Nodes;
using EdgeCloudVlm.Inference.Manifest;
using EdgeCloudVlm.Inference.Tests.Support;

namespace EdgeCloudVlm.Inference.Tests.Manifest;

public sealed class ModelManifestTests
{
    [Fact]
    public void Load_DemoModel_ReadsTypedSections()
    {
        ModelManifest m = ModelManifest.Load(ModelFolder.Path);

        Assert.Equal("shapes-vqa", m.Name);
        Assert.Equal(ModelPartNames.All.Order(), m.Parts.Keys.Order());
        Assert.Equal("vision_edge.onnx", m.GetPart(ModelPartNames.VisionEdge).File);
        Assert.Equal("vision_edge", m.GetPart(ModelPartNames.VisionEdge).Name);
        TensorSpec px = m.GetPart(ModelPartNames.VisionEdge).Inputs[0];
        Assert.Equal("pixel_values", px.Name);
        Assert.Equal("[batch, 3, 96, 96]", px.ShapeText);
        Assert.False(px.Shape[0].IsFixed);
        Assert.Equal(96L, px.Shape[3].Size);
        Assert.Equal(96, m.Image.Size);
        Assert.Equal([0.5f, 0.5f, 0.5f], m.Image.Mean);
        Assert.Equal(m.Vision.Tokens, m.Prompt.ImagePlaceholderExpandsTo);
        Assert.Equal(m.LanguageModel.HiddenSize, m.LanguageModel.Heads * m.LanguageModel.HeadDim);
        Assert.Equal(3 + (2 * m.LanguageModel.Layers), m.GetPart(ModelPartNames.Decoder).Inputs.Count);
        Assert.Equal(m.SpecialTokens["[EOS]"], m.Generation.EosTokenId);
        Assert.Equal("[UNK]", m.Tokenizer.BertOptions["UnknownToken"]);
        Assert.Equal(Path.Combine(ModelFolder.Path, "decoder.onnx"), m.GetPartPath(ModelPartNames.Decoder));
    }

    [Fact]
    public void Load_MissingPartFile_NamesPartAndFile()
    {
        using TempFolder folder = TempFolder.WithDemoModel("vision_edge.onnx", "vision_cloud.onnx", "embed_tokens.onnx");

        var ex = Assert.Throws<ModelLoadException>(() => ModelManifest.Load(folder.Path));

        Assert.Equal("decoder", ex.PartName);
        Assert.Equal($"part 'decoder' file decoder.onnx not found in {folder.Path}", ex.Message);
    }

    [Fact]
    public void Load_OnlyRequiredPartsPresent_Succeeds()
    {
        using TempFolder folder = TempFolder.WithDemoModel("vision_edge.onnx");

        ModelManifest m = ModelManifest.Load(folder.Path, [ModelPartNames.VisionEdge]);

        Assert.Equal(4, m.Parts.Count);
    }

    [Fact]
    public void Load_NoFolder_SaysSo()
    {
        string missing = Path.Combine(Path.GetTempPath(), "no-such-model-" + Guid.NewGuid().ToString("N"));

        var ex = Assert.Throws<ModelLoadException>(() => ModelManifest.Load(missing));

        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_InputWithWrongRank_NamesPartAndInput()
    {
        string json = Edit(root => root["parts"]!["vision_edge"]!["inputs"]![0]!["shape"] = new JsonArray("batch", 3, 96));

        var ex = Assert.Throws<ModelLoadException>(() => ModelManifest.Parse(json, "x"));

        Assert.Equal("vision_edge", ex.PartName);
        Assert.Equal("part 'vision_edge' input 'pixel_values' has rank 3, expected 4", ex.Message);
    }

    [Fact]
    public void Parse_PresentWithWrongHeadCount_NamesDecoder()
    {
        string json = Edit(root => root["parts"]!["decoder"]!["outputs"]![2]!["shape"]![1] = 7);

        var ex = Assert.Throws<ModelLoadException>(() => ModelManifest.Parse(json, "x"));

        Assert.Equal("decoder", ex.PartName);
        Assert.Contains("output 'present.0.value' has size 7 on axis 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MissingPastInput_NamesDecoderAndInput()
    {
        string json = Edit(root => ((JsonArray)root["parts"]!["decoder"]!["inputs"]!).RemoveAt(3));

        var ex = Assert.Throws<ModelLoadException>(() => ModelManifest.Parse(json, "x"));

        Assert.Equal("part 'decoder' has no input 'past_key_values.0.key'", ex.Message);
    }

    [Fact]
    public void Parse_MalformedPartJson_NamesPart()
    {
        string json = Edit(root => root["parts"]!["embed_tokens"]!["inputs"]![0]!["shape"] = "batch x sequence");

        var ex = Assert.Throws<ModelLoadException>(() => ModelManifest.Parse(json, "x"));

        Assert.Equal("embed_tokens", ex.PartName);
        Assert.Contains("part 'embed_tokens' is malformed at $.parts.embed_tokens.inputs[0].shape", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BadDimensionValue_NamesPart()
    {
        string json = Edit(root => root["parts"]!["vision_cloud"]!["outputs"]![0]!["shape"]![1] = -37);

        var ex = Assert.Throws<ModelLoadException>(() => ModelManifest.Parse(json, "x"));

        Assert.Equal("vision_cloud", ex.PartName);
    }

    [Fact]
    public void Parse_UnknownDtype_NamesPart()
    {
        string json = Edit(root => root["parts"]!["decoder"]!["inputs"]![1]!["dtype"] = "int65");

        var ex = Assert.Throws<ModelLoadException>(() => ModelManifest.Parse(json, "x"));

        Assert.Equal("decoder", ex.PartName);
        Assert.Contains("'attention_mask' has dtype 'int65'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_PartMissing_NamesPart()
    {
        string json = Edit(root => ((JsonObject)root["parts"]!).Remove("vision_cloud"));

        var ex = Assert.Throws<ModelLoadException>(() => ModelManifest.Parse(json, "x"));

        Assert.Equal("vision_cloud", ex.PartName);
    }

    [Fact]
    public void Parse_SyntaxError_ReportsManifest()
    {
        var ex = Assert.Throws<ModelLoadException>(() => ModelManifest.Parse("{ \"name\": \"m\", ", "folder-x"));

        Assert.Null(ex.PartName);
        Assert.Contains("model.json in folder-x", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_PlaceholderExpansionDisagreesWithVision_Throws()
    {
        string json = Edit(root => root["prompt"]!["image_placeholder_expands_to"] = 5);

        var ex = Assert.Throws<ModelLoadException>(() => ModelManifest.Parse(json, "x"));

        Assert.Contains("image_placeholder_expands_to", ex.Message, StringComparison.Ordinal);
    }

    private static string Edit(Action<JsonNode> edit)
    {
        JsonNode root = JsonNode.Parse(File.ReadAllText(Path.Combine(ModelFolder.Path, "model.json")))!;
        edit(root);
        return root.ToJsonString();
    }
}
