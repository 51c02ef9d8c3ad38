using System.CommandLine;
using EdgeCloudVlm.Onnx.Proto;
using EdgeCloudVlm.Onnx.Splitting;

namespace EdgeCloudVlm.ModelTools.Commands;

/// <summary><c>split &lt;model.onnx&gt; --at t1[,t2] --head head.onnx --tail tail.onnx</c>: cuts a model in two.</summary>
internal static class SplitCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "The .onnx file to split." };
        var at = new Option<string>("--at")
        {
            Description = "Tensor(s) to cut at, comma separated (several when a residual stream crosses as more than one tensor).",
            Required = true,
        };
        var head = new Option<string>("--head") { Description = "Where to write the head (graph inputs to the cut tensors).", Required = true };
        var tail = new Option<string>("--tail") { Description = "Where to write the tail (cut tensors to the graph outputs).", Required = true };
        var allowExtra = new Option<bool>("--allow-extra-crossing")
        {
            Description = "If the tail needs other tensors the head computes, send them across too instead of failing.",
        };
        var command = new Command("split", "Split a model at intermediate tensors into a head model and a tail model.")
        {
            model,
            at,
            head,
            tail,
            allowExtra,
        };
        command.SetAction(result => Run(
            new Request(
                result.GetRequiredValue(model),
                result.GetRequiredValue(at),
                result.GetRequiredValue(head),
                result.GetRequiredValue(tail),
                result.GetValue(allowExtra)),
            result.InvocationConfiguration.Output,
            result.InvocationConfiguration.Error));
        return command;
    }

    private static int Run(Request request, TextWriter output, TextWriter error)
    {
        string[] tensors = request.At.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (tensors.Length == 0)
        {
            error.WriteLine("error: --at names no tensor.");
            return ExitCodes.SplitError;
        }

        if (!CheckOutputPaths(request, error))
        {
            return ExitCodes.FileError;
        }

        ModelProto? model = ModelFiles.TryLoad(request.Model, error);
        if (model is null)
        {
            return ExitCodes.FileError;
        }

        OnnxSplitResult split;
        try
        {
            split = OnnxModelSplitter.Split(model, tensors, new OnnxSplitOptions { AllowExtraCrossingTensors = request.AllowExtraCrossing });
        }
        catch (OnnxSplitException exception)
        {
            error.WriteLine($"error: {exception.Message}");
            string? hint = exception.Kind switch
            {
                OnnxSplitErrorKind.UnknownTensor or OnnxSplitErrorKind.NotComputed => "The 'tensors' command lists the tensors a model computes.",
                OnnxSplitErrorKind.NotCleanCut => "Pass --allow-extra-crossing to send those tensors across too.",
                _ => null,
            };
            if (hint is not null)
            {
                error.WriteLine(hint);
            }

            return ExitCodes.SplitError;
        }
        catch (ArgumentException exception)
        {
            error.WriteLine($"error: {exception.Message}");
            return ExitCodes.SplitError;
        }

        if (!ModelFiles.TrySave(split.Head, request.Head, error) || !ModelFiles.TrySave(split.Tail, request.Tail, error))
        {
            return ExitCodes.FileError;
        }

        SplitSummary.Write(output, request.Model, split.Report, request.Head, request.Tail);
        if (ModelFiles.UsesExternalData(model))
        {
            output.WriteLine("warning: the model keeps weights in external data files; head and tail refer to them by the same relative paths, so keep those files beside them.");
        }

        return ExitCodes.Success;
    }

    private static bool CheckOutputPaths(Request request, TextWriter error)
    {
        string model = Path.GetFullPath(request.Model);
        string head = Path.GetFullPath(request.Head);
        string tail = Path.GetFullPath(request.Tail);
        if (string.Equals(head, tail, StringComparison.Ordinal))
        {
            error.WriteLine("error: --head and --tail name the same file.");
            return false;
        }

        if (string.Equals(head, model, StringComparison.Ordinal) || string.Equals(tail, model, StringComparison.Ordinal))
        {
            error.WriteLine("error: --head and --tail must not overwrite the model being split.");
            return false;
        }

        return true;
    }

    private sealed record Request(string Model, string At, string Head, string Tail, bool AllowExtraCrossing);
}
