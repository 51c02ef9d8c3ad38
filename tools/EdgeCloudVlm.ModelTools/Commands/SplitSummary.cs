using EdgeCloudVlm.Onnx.Splitting;

namespace EdgeCloudVlm.ModelTools.Commands;

/// <summary>Prints what a split did: both sides' sizes and every tensor that crosses.</summary>
internal static class SplitSummary
{
    public static void Write(TextWriter output, string modelPath, OnnxSplitReport report, string headPath, string tailPath)
    {
        output.WriteLine($"Split {modelPath}");
        output.WriteLine(
            $"  head: {report.HeadNodeCount} nodes, {ModelFiles.FormatBytes(report.HeadInitializerBytes)} of weights -> {headPath} ({FileSize(headPath)})");
        output.WriteLine(
            $"  tail: {report.TailNodeCount} nodes, {ModelFiles.FormatBytes(report.TailInitializerBytes)} of weights -> {tailPath} ({FileSize(tailPath)})");
        if (report.DroppedNodeCount != 0)
        {
            output.WriteLine($"  dropped: {report.DroppedNodeCount} nodes that no graph output needs");
        }

        output.WriteLine("  crossing tensors (head outputs = tail inputs):");
        foreach (OnnxTensorInfo tensor in report.CutTensors)
        {
            WriteTensor(output, tensor, extra: false);
        }

        foreach (OnnxTensorInfo tensor in report.ExtraCrossingTensors)
        {
            WriteTensor(output, tensor, extra: true);
        }

        if (report.CrossingBytes is long total)
        {
            output.WriteLine($"  crossing size: {ModelFiles.FormatBytes(total)} per inference, uncompressed");
        }
        else
        {
            output.WriteLine("  crossing size: depends on symbolic or unknown dimensions");
        }

        if (report.TailGraphInputs.Count != 0)
        {
            output.WriteLine($"  the tail also reads graph inputs: {string.Join(", ", report.TailGraphInputs)}");
        }

        if (report.SharedInitializers.Count != 0)
        {
            output.WriteLine($"  initializers copied to both sides: {string.Join(", ", report.SharedInitializers)}");
        }

        foreach (string unused in report.UnusedCutTensors)
        {
            output.WriteLine($"  warning: no tail node reads '{unused}'; it is still a tail input");
        }
    }

    private static void WriteTensor(TextWriter output, OnnxTensorInfo tensor, bool extra)
    {
        string size = tensor.ByteSize is long bytes ? ModelFiles.FormatBytes(bytes) : "size unknown";
        string note = extra ? "  (extra: the tail reads it besides the cut)" : string.Empty;
        output.WriteLine(
            $"    {tensor.Name}  {tensor.FormatElementType()} {tensor.FormatShape()}  {size}  from {tensor.ProducerOpType}{note}");
    }

    private static string FileSize(string path) => ModelFiles.FormatBytes(new FileInfo(path).Length);
}
