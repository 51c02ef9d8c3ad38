using System.CommandLine;
using EdgeCloudVlm.Onnx.Proto;
using EdgeCloudVlm.Onnx.Splitting;

namespace EdgeCloudVlm.ModelTools.Commands;

/// <summary><c>tensors &lt;model.onnx&gt;</c>: every tensor a model computes, in topological order, to choose split points from.</summary>
internal static class TensorsCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "The .onnx file." };
        var filter = new Option<string?>("--filter", "-f")
        {
            Description = "Show only tensors whose name or operator contains this text (case-insensitive).",
        };
        var command = new Command("tensors", "List the intermediate tensors of a model (name, producing operator, element type, shape).")
        {
            model,
            filter,
        };
        command.SetAction(result => Run(
            result.GetRequiredValue(model),
            result.GetValue(filter),
            result.InvocationConfiguration.Output,
            result.InvocationConfiguration.Error));
        return command;
    }

    private static int Run(string path, string? filter, TextWriter output, TextWriter error)
    {
        ModelProto? model = ModelFiles.TryLoad(path, error);
        if (model is null)
        {
            return ExitCodes.FileError;
        }

        IReadOnlyList<OnnxTensorInfo> tensors;
        try
        {
            tensors = OnnxModelInspector.ListTensors(model);
        }
        catch (OnnxSplitException exception)
        {
            error.WriteLine($"error: {exception.Message}");
            return ExitCodes.SplitError;
        }

        int nameWidth = 4;
        int opWidth = 2;
        foreach (OnnxTensorInfo tensor in tensors)
        {
            nameWidth = Math.Max(nameWidth, tensor.Name.Length);
            opWidth = Math.Max(opWidth, tensor.ProducerOpType.Length);
        }

        output.WriteLine($"{"#",5}  {"name".PadRight(nameWidth)}  {"op".PadRight(opWidth)}  {"type",-8}  shape");
        int shown = 0;
        bool anyShape = false;
        for (int i = 0; i < tensors.Count; i++)
        {
            OnnxTensorInfo tensor = tensors[i];
            anyShape |= tensor.Shape is not null && !tensor.IsGraphOutput;
            if (filter is not null
                && !tensor.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)
                && !tensor.ProducerOpType.Contains(filter, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            shown++;
            string marker = tensor.IsGraphOutput ? "  (graph output)" : string.Empty;
            output.WriteLine(
                $"{i,5}  {tensor.Name.PadRight(nameWidth)}  {tensor.ProducerOpType.PadRight(opWidth)}  {tensor.FormatElementType(),-8}  {tensor.FormatShape()}{marker}");
        }

        output.WriteLine($"{shown} of {tensors.Count} tensors; {model.Graph.Node.Count} nodes; graph inputs: {string.Join(", ", GraphInputs(model))}.");
        if (!anyShape)
        {
            output.WriteLine("The model declares no intermediate shapes (no value_info); run ONNX shape inference on it to see them.");
        }

        return ExitCodes.Success;
    }

    private static List<string> GraphInputs(ModelProto model)
    {
        var initializers = new HashSet<string>(StringComparer.Ordinal);
        foreach (TensorProto initializer in model.Graph.Initializer)
        {
            initializers.Add(initializer.Name);
        }

        var inputs = new List<string>();
        foreach (ValueInfoProto input in model.Graph.Input)
        {
            if (!initializers.Contains(input.Name))
            {
                inputs.Add(input.Name);
            }
        }

        return inputs;
    }
}
