using System.CommandLine;
using EdgeCloudVlm.ModelTools.Commands;

var root = new RootCommand("EdgeCloudVlm model tools: list the tensors of an ONNX model and split it into an edge head and a cloud tail.")
{
    TensorsCommand.Create(),
    SplitCommand.Create(),
};

return root.Parse(args).Invoke();
