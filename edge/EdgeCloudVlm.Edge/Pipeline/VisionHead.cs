using EdgeCloudVlm.Edge.Hosting;
using EdgeCloudVlm.Edge.Telemetry;
using EdgeCloudVlm.Inference;
using EdgeCloudVlm.Inference.Manifest;
using EdgeCloudVlm.Inference.Preprocessing;
using EdgeCloudVlm.Inference.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace EdgeCloudVlm.Edge.Pipeline;

/// <summary>
/// The model as the device sees it: the manifest (always; it names the model and its image size) and the vision edge
/// session (when it loads). A session that cannot load is not fatal: frames go out as JPEG while configuration allows,
/// and the reason is logged once and shown by <c>status</c>.
/// </summary>
public sealed class VisionHead : IDisposable
{
    private VisionHead(ModelManifest manifest, VlmModel? model, string? loadError)
    {
        Manifest = manifest;
        Model = model;
        LoadError = loadError;
        Preprocessor = model?.Preprocessor ?? new ImagePreprocessor(manifest.Image);
    }

    public ModelManifest Manifest { get; }

    /// <summary>The loaded vision edge part, or null when it failed to load.</summary>
    public VlmModel? Model { get; }

    public string? LoadError { get; }

    public ImagePreprocessor Preprocessor { get; }

    public int Tokens => Manifest.Vision.Tokens;

    public int HiddenDim => Manifest.Vision.HiddenDim;

    /// <exception cref="ModelLoadException">model.json itself cannot be read.</exception>
    public static VisionHead Load(string folder, EdgeOptions options, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ILogger logger = loggerFactory.CreateLogger<VisionHead>();
        string manifestPath = Path.Combine(folder, ModelManifest.FileName);
        if (!File.Exists(manifestPath))
        {
            throw new ModelLoadException($"no {ModelManifest.FileName} in model folder {Path.GetFullPath(folder)}");
        }

        // Parsed without the file checks of ModelManifest.Load, so a missing or broken ONNX file still leaves a model
        // id and an image size to fall back with.
        ModelManifest manifest = ModelManifest.Parse(File.ReadAllText(manifestPath), Path.GetFullPath(folder));
        var session = new OnnxSessionOptions
        {
            Provider = options.ExecutionProvider,
            DeviceId = options.GpuDeviceId,
            IntraOpThreads = options.IntraOpThreads,
        };
        try
        {
            return new VisionHead(manifest, LoadModel(folder, session, loggerFactory), null);
        }
        catch (ExecutionProviderUnavailableException ex)
        {
            EdgeLog.ProviderFallback(logger, options.ExecutionProvider.ToString(), ex.Message);
            try
            {
                return new VisionHead(manifest, LoadModel(folder, session with { Provider = ExecutionProvider.Cpu }, loggerFactory), null);
            }
            catch (Exception inner) when (inner is ModelLoadException or OnnxRuntimeException or IOException)
            {
                EdgeLog.VisionHeadUnavailable(logger, inner.Message);
                return new VisionHead(manifest, null, inner.Message);
            }
        }
        catch (Exception ex) when (ex is ModelLoadException or OnnxRuntimeException or IOException)
        {
            EdgeLog.VisionHeadUnavailable(logger, ex.Message);
            return new VisionHead(manifest, null, ex.Message);
        }
    }

    public void Dispose() => Model?.Dispose();

    private static VlmModel LoadModel(string folder, OnnxSessionOptions session, ILoggerFactory loggerFactory) =>
        VlmModel.Load(folder, new VlmModelOptions { Parts = [ModelPartNames.VisionEdge], Session = session }, loggerFactory);
}
