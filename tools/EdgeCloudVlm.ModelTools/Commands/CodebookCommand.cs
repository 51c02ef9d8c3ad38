using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeCloudVlm.Codec;
using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Inference;
using EdgeCloudVlm.Inference.Calibration;
using EdgeCloudVlm.Inference.Manifest;

namespace EdgeCloudVlm.ModelTools.Commands;

/// <summary>
/// <c>codebook train &lt;model-folder&gt; [--config C] [--images DIR] [--seed N] [--iterations N] [--register]</c>:
/// runs the model's edge part over calibration images, trains an AlignedVQ codebook on the split tensor and writes it
/// into the model folder's <c>codebooks/</c>.
/// </summary>
internal static class CodebookCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "Model folder (with model.json and vision_edge.onnx)." };
        var config = new Option<string>("--config")
        {
            Description = "Codec configuration, e.g. norm2x16-center-pca64-g1-s2-k64 (see docs/codec.md).",
            DefaultValueFactory = _ => "norm2x16-center-g1-s2-k64",
        };
        var images = new Option<string?>("--images") { Description = "Calibration images (default: <model>/calib)." };
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 1 };
        var iterations = new Option<int>("--iterations") { Description = "Lloyd iterations per stage.", DefaultValueFactory = _ => 25 };
        var output = new Option<string?>("--out") { Description = "Codebook file to write (default: <model>/codebooks/<config>.avqcb)." };
        var register = new Option<bool>("--register") { Description = "Add the codebook to model.json's codebooks list." };
        var train = new Command("train", "Train an AlignedVQ codebook for a model's split tensor from calibration images.")
        {
            model, config, images, seed, iterations, output, register,
        };
        train.SetAction((result, cancellationToken) => Task.FromResult(Run(
            new Request(
                result.GetRequiredValue(model),
                result.GetRequiredValue(config),
                result.GetValue(images),
                result.GetValue(seed),
                result.GetValue(iterations),
                result.GetValue(output),
                result.GetValue(register)),
            result.InvocationConfiguration.Output,
            result.InvocationConfiguration.Error,
            cancellationToken)));

        return new Command("codebook", "AlignedVQ codebooks.") { train };
    }

    private static int Run(Request request, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        AlignedVqConfig config;
        try
        {
            config = AlignedVqConfig.Parse(request.Config);
        }
        catch (FormatException exception)
        {
            error.WriteLine($"error: {exception.Message}");
            return ExitCodes.TrainingError;
        }

        VlmModel vlm;
        try
        {
            vlm = VlmModel.Load(request.Model, new VlmModelOptions { Parts = [ModelPartNames.VisionEdge] });
        }
        catch (ModelLoadException exception)
        {
            error.WriteLine($"error: {exception.Message}");
            return ExitCodes.TrainingError;
        }

        using (vlm)
        {
            var manifest = vlm.Manifest;
            var imageFolder = request.Images ?? Path.Combine(request.Model, "calib");
            IReadOnlyList<string> imagePaths;
            try
            {
                imagePaths = SplitFeatureCollector.FindImages(imageFolder);
            }
            catch (IOException exception)
            {
                error.WriteLine($"error: {exception.Message}");
                return ExitCodes.FileError;
            }

            var clock = Stopwatch.StartNew();
            var bar = new ProgressBar(output);
            var features = SplitFeatureCollector.Collect(
                vlm, imagePaths, new SynchronousProgress<int>(done => bar.Draw("edge part", done, imagePaths.Count)), cancellationToken);
            bar.Finish($"collected {imagePaths.Count} x {manifest.Vision.Tokens} tokens of {manifest.Vision.HiddenDim} channels in {clock.Elapsed.TotalSeconds:F1} s");

            Codebook codebook;
            try
            {
                codebook = CodebookTrainer.Train(
                    features,
                    manifest.Vision.HiddenDim,
                    config,
                    new CodebookTrainingOptions
                    {
                        Seed = request.Seed,
                        Iterations = request.Iterations,
                        ModelId = manifest.Name,
                        SplitName = $"vision.block{manifest.Vision.SplitLayer}.input",
                        DataDescription = $"{imagePaths.Count} images from {Path.GetFileName(Path.GetFullPath(imageFolder))}, split tensor of {manifest.Name}",
                        TokensPerFrame = manifest.Vision.Tokens,
                    },
                    new SynchronousProgress<CodebookTrainingProgress>(p => bar.Draw(p.Step, p.StepIndex, p.StepCount)),
                    cancellationToken);
            }
            catch (ArgumentException exception)
            {
                error.WriteLine($"error: {exception.Message}");
                return ExitCodes.TrainingError;
            }

            bar.Finish($"trained {config} in {clock.Elapsed.TotalSeconds:F1} s; calibration relative error {codebook.Document.Training.FinalDistortion:F4}");
            var path = request.Output ?? Path.Combine(request.Model, "codebooks", config + CodebookFile.Extension);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            CodebookFile.Save(codebook, path);
            output.WriteLine($"wrote {path} ({codebook.FileBytes.Length:N0} bytes), id {codebook.Id}");
            if (request.Register)
            {
                Register(Path.Combine(request.Model, "model.json"), Path.GetRelativePath(Path.GetFullPath(request.Model), Path.GetFullPath(path)), codebook, config);
                output.WriteLine("registered in model.json");
            }

            return ExitCodes.Success;
        }
    }

    /// <summary>Adds or replaces the codebook's entry (by file) in model.json, leaving everything else as it was.</summary>
    private static void Register(string manifestPath, string relativePath, Codebook codebook, AlignedVqConfig config)
    {
        var root = JsonNode.Parse(File.ReadAllText(manifestPath))!.AsObject();
        var list = root["codebooks"] as JsonArray ?? [];
        root["codebooks"] = list;
        var file = relativePath.Replace('\\', '/');
        for (var i = list.Count - 1; i >= 0; i--)
        {
            if (list[i] is JsonObject entry && (string?)entry["file"] == file)
            {
                list.RemoveAt(i);
            }
        }

        list.Add(new JsonObject
        {
            ["file"] = file,
            ["id"] = codebook.Id.ToString(),
            ["config"] = config.ToString(),
            ["nominal_bits_per_token"] = codebook.NominalBitsPerToken,
        });
        File.WriteAllText(manifestPath, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + Environment.NewLine);
    }

    private sealed record Request(string Model, string Config, string? Images, int Seed, int Iterations, string? Output, bool Register);
}
