using System.CommandLine;
using EdgeCloudVlm.ModelTools.Commands;

var root = new RootCommand("EdgeCloudVlm model tools: list and split ONNX models, train AlignedVQ codebooks for a model's split.")
{
    TensorsCommand.Create(),
    SplitCommand.Create(),
    CodebookCommand.Create(),
};

return root.Parse(args).Invoke();
