using System.Diagnostics;
using EdgeCloudVlm.Cloud.Codebooks;
using EdgeCloudVlm.Cloud.Engine;
using EdgeCloudVlm.Cloud.Requests;
using EdgeCloudVlm.Inference;
using EdgeCloudVlm.Inference.Manifest;
using EdgeCloudVlm.Inference.Preprocessing;
using EdgeCloudVlm.Inference.Runtime;
using EdgeCloudVlm.ServiceDefaults.Health;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.Cloud.Models;

/// <summary>
/// Loads the configured model folders in the background after start-up (the codebook folder first, then each model
/// with its manifest's codebooks) and creates one engine per model. Until loading finishes the service answers
/// "not ready" and the readiness check fails; a folder that fails to load is logged and keeps the service unready.
/// Engines and sessions are released when the host disposes the catalog, after the server has drained.
/// </summary>
internal sealed partial class ModelCatalog(
    IOptions<ModelCatalogOptions> options,
    IOptions<CodebookRegistryOptions> codebookOptions,
    IOptions<RequestLimitsOptions> limits,
    CodebookRegistry codebooks,
    IGenerationEngineFactory engineFactory,
    ReadinessGate readiness,
    ILoggerFactory loggerFactory,
    TimeProvider timeProvider,
    ILogger<ModelCatalog> logger) : BackgroundService, IAsyncDisposable
{
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile IReadOnlyList<ServedModel> _models = [];
    private volatile string? _failure;

    /// <summary>Whether every configured model and its codebooks are loaded.</summary>
    public bool IsLoaded => _loaded.Task.IsCompletedSuccessfully && _failure is null;

    /// <summary>Why loading failed, or <see langword="null"/>.</summary>
    public string? Failure => _failure;

    /// <summary>The served models in configuration order (empty until loaded).</summary>
    public IReadOnlyList<ServedModel> Models => _models;

    /// <summary>Completes when loading has finished, successfully or not.</summary>
    public Task WhenLoaded => _loaded.Task;

    /// <summary>Finds a served model; an empty id means the first configured model.</summary>
    public RequestError? TryGet(string? modelId, string param, out ServedModel? model)
    {
        model = null;
        if (!IsLoaded)
        {
            return new RequestError(RequestErrorKind.NotReady,
                _failure is null ? "The models are still loading; retry shortly." : $"The service failed to load its models: {_failure}")
            {
                Code = "model_not_ready",
                RetryAfter = TimeSpan.FromSeconds(1),
            };
        }

        IReadOnlyList<ServedModel> models = _models;
        if (string.IsNullOrEmpty(modelId))
        {
            model = models[0];
            return null;
        }

        foreach (ServedModel candidate in models)
        {
            if (string.Equals(candidate.Id, modelId, StringComparison.Ordinal))
            {
                model = candidate;
                return null;
            }
        }

        return RequestError.UnknownModel(modelId, param);
    }

    /// <summary>The model tag for telemetry: a served model's id, or <c>unknown</c>, so that ids sent by clients
    /// cannot grow the number of metric series.</summary>
    public string TelemetryName(string? modelId)
    {
        IReadOnlyList<ServedModel> models = _models;
        if (string.IsNullOrEmpty(modelId))
        {
            return models.Count > 0 ? models[0].Id : "unknown";
        }

        foreach (ServedModel model in models)
        {
            if (string.Equals(model.Id, modelId, StringComparison.Ordinal))
            {
                return model.Id;
            }
        }

        return "unknown";
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Loading reads files and builds ONNX sessions: leave the host's start-up path first.
        await Task.Yield();
        try
        {
            readiness.MarkNotReady(Hosting.CloudServiceExtensions.ModelsReadinessComponent, "models are loading");
            Load(stoppingToken);

            // Ready first: whoever awaits WhenLoaded may run on this thread at once and expects a ready service.
            readiness.MarkReady(Hosting.CloudServiceExtensions.ModelsReadinessComponent);
            _loaded.TrySetResult();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _failure = "start-up was cancelled";
            _loaded.TrySetResult();
        }
        catch (Exception ex) when (ex is ModelLoadException or ExecutionProviderUnavailableException or IOException
            or InvalidDataException or ArgumentException or InvalidOperationException or UnauthorizedAccessException
            or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            _failure = ex.Message;
            LogLoadFailed(logger, ex);
            readiness.MarkNotReady(Hosting.CloudServiceExtensions.ModelsReadinessComponent, $"loading failed: {ex.Message}");
            _loaded.TrySetResult();
        }
    }

    private void Load(CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        if (codebookOptions.Value.Folder is { Length: > 0 } codebookFolder)
        {
            int count = codebooks.LoadFolder(codebookFolder);
            LogCodebookFolder(logger, count, codebookFolder);
        }

        ModelCatalogOptions settings = options.Value;
        RequestLimitsOptions limit = limits.Value;
        var loadOptions = new VlmModelOptions
        {
            Session = new OnnxSessionOptions
            {
                Provider = settings.ExecutionProvider,
                DeviceId = settings.DeviceId,
                IntraOpThreads = settings.IntraOpThreads,
                InterOpThreads = settings.InterOpThreads,
            },
            Image = new ImagePreprocessorOptions { MaxEncodedBytes = limit.MaxImageBytes, MaxPixels = limit.MaxImagePixels },
        };

        var models = new List<ServedModel>();
        try
        {
            foreach (string folder in settings.Folders)
            {
                cancellationToken.ThrowIfCancellationRequested();
                models.Add(LoadModel(folder, loadOptions, models));
            }
        }
        catch
        {
            foreach (ServedModel loaded in models)
            {
                DisposeModelAsync(loaded).AsTask().GetAwaiter().GetResult();
            }

            throw;
        }

        _models = models;
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        LogLoaded(logger, models.Count, seconds);
    }

    private ServedModel LoadModel(string folder, VlmModelOptions loadOptions, List<ServedModel> loaded)
    {
        VlmModel model = VlmModel.Load(folder, loadOptions, loggerFactory);
        try
        {
            string id = model.Manifest.Name;
            if (string.IsNullOrEmpty(id))
            {
                throw new ModelLoadException($"{ModelManifest.FileName} in {folder} has no name to serve the model under");
            }

            if (loaded.Exists(m => m.Id == id))
            {
                throw new ModelLoadException($"two model folders are named '{id}' (the second is {folder})");
            }

            int codebookCount = codebooks.AddModelCodebooks(model.Manifest, id);
            IGenerationEngine engine = engineFactory.Create(id, model);
            LogModelLoaded(logger, id, folder, model.ActiveProvider, codebookCount);
            return new ServedModel(id, model, engine, timeProvider.GetUtcNow());
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public override void Dispose()
    {
        ReleaseModelsAsync().AsTask().GetAwaiter().GetResult();
        base.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await ReleaseModelsAsync().ConfigureAwait(false);
        base.Dispose();
    }

    private async ValueTask ReleaseModelsAsync()
    {
        IReadOnlyList<ServedModel> models = _models;
        _models = [];
        foreach (ServedModel model in models)
        {
            await DisposeModelAsync(model).ConfigureAwait(false);
        }
    }

    private static async ValueTask DisposeModelAsync(ServedModel served)
    {
        switch (served.Engine)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }

        served.Model.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "Loading the models failed; the service stays unready")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} codebooks loaded from {Folder}")]
    private static partial void LogCodebookFolder(ILogger logger, int count, string folder);

    [LoggerMessage(Level = LogLevel.Information, Message = "Model {ModelId} loaded from {Folder} on {Provider} with {CodebookCount} codebooks")]
    private static partial void LogModelLoaded(ILogger logger, string modelId, string folder, ExecutionProvider provider, int codebookCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} models ready after {Seconds:F1} s")]
    private static partial void LogLoaded(ILogger logger, int count, double seconds);
}
