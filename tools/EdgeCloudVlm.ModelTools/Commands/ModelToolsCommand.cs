using System.CommandLine;

namespace EdgeCloudVlm.ModelTools.Commands;

/// <summary>The root command with every sub-command.</summary>
internal static class ModelToolsCommand
{
    public static RootCommand CreateRoot() =>
        new("EdgeCloudVlm model tools: list and split ONNX models, train AlignedVQ codebooks for a model's split.")
        {
            TensorsCommand.Create(),
            SplitCommand.Create(),
            CodebookCommand.Create(),
        };
}
