using EdgeCloudVlm.Onnx;
using EdgeCloudVlm.Onnx.Proto;
using Google.Protobuf;

namespace EdgeCloudVlm.ModelTools.Commands;

/// <summary>Loading models with errors reported as one readable line instead of a stack trace.</summary>
internal static class ModelFiles
{
    public static ModelProto? TryLoad(string path, TextWriter error)
    {
        try
        {
            ModelProto model = OnnxModelFile.Load(path);
            if (model.Graph is null)
            {
                error.WriteLine($"error: '{path}' holds no graph; is it an ONNX model?");
                return null;
            }

            return model;
        }
        catch (FileNotFoundException)
        {
            error.WriteLine($"error: model file '{path}' does not exist.");
        }
        catch (DirectoryNotFoundException)
        {
            error.WriteLine($"error: the folder of model file '{path}' does not exist.");
        }
        catch (UnauthorizedAccessException exception)
        {
            error.WriteLine($"error: cannot read '{path}': {exception.Message}");
        }
        catch (InvalidProtocolBufferException exception)
        {
            error.WriteLine($"error: '{path}' is not an ONNX model ({exception.Message}).");
        }
        catch (IOException exception)
        {
            error.WriteLine($"error: cannot read '{path}': {exception.Message}");
        }

        return null;
    }

    public static bool TrySave(ModelProto model, string path, TextWriter error)
    {
        try
        {
            string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
            if (folder is not null)
            {
                Directory.CreateDirectory(folder);
            }

            OnnxModelFile.Save(model, path);
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: cannot write '{path}': {exception.Message}");
            return false;
        }
    }

    public static bool UsesExternalData(ModelProto model)
    {
        foreach (TensorProto initializer in model.Graph.Initializer)
        {
            if (initializer.DataLocation == TensorProto.Types.DataLocation.External)
            {
                return true;
            }
        }

        return false;
    }

    public static string FormatBytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.0} KiB",
        < 1024L * 1024 * 1024 => $"{bytes / (1024.0 * 1024):0.0} MiB",
        _ => $"{bytes / (1024.0 * 1024 * 1024):0.00} GiB",
    };
}
