using EdgeCloudVlm.Onnx.Proto;
using Google.Protobuf;

namespace EdgeCloudVlm.Onnx;

/// <summary>Reads and writes <c>.onnx</c> files as <see cref="ModelProto"/> messages.</summary>
/// <remarks>
/// Tensors stored as external data keep their <c>external_data</c> references; their bytes are not loaded.
/// Fields unknown to this library's schema are preserved, so a load followed by a save does not lose information.
/// </remarks>
public static class OnnxModelFile
{
    /// <summary>Parses the ONNX model file at <paramref name="path"/>.</summary>
    /// <param name="path">Path of the <c>.onnx</c> file.</param>
    /// <returns>The parsed model.</returns>
    /// <exception cref="InvalidProtocolBufferException">The file is not a valid protobuf-encoded model.</exception>
    public static ModelProto Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return ModelProto.Parser.ParseFrom(stream);
    }

    /// <summary>Parses an ONNX model from its serialized bytes.</summary>
    /// <param name="data">The bytes of a <c>.onnx</c> file.</param>
    /// <returns>The parsed model.</returns>
    /// <exception cref="InvalidProtocolBufferException">The bytes are not a valid protobuf-encoded model.</exception>
    public static ModelProto Load(ReadOnlySpan<byte> data) => ModelProto.Parser.ParseFrom(data);

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/>, replacing any existing file.</summary>
    /// <remarks>
    /// The bytes go to a temporary file in the same folder first and are then moved into place, so a reader never
    /// sees a half-written model and a failed write leaves the previous file intact.
    /// </remarks>
    /// <param name="model">The model to write.</param>
    /// <param name="path">Destination path.</param>
    public static void Save(ModelProto model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = Path.GetFullPath(path);
        string temporary = fullPath + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                model.WriteTo(stream);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, fullPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }
}
