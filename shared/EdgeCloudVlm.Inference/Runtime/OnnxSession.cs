using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace EdgeCloudVlm.Inference.Runtime;

/// <summary>
/// The single owner of one ONNX Runtime session and its native companions (session options and run options).
/// Runs are thread-safe; inputs are tensors over pinned managed memory (see <see cref="OrtTensors"/>) and outputs are
/// either bound to caller memory or returned for reading as spans.
/// </summary>
public sealed partial class OnnxSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly SessionOptions _sessionOptions;
    private readonly RunOptions _runOptions;

    // Cancellable runs each need their own run options (terminating one must not stop the others); they are reused.
    private readonly ConcurrentQueue<RunOptions> _cancellableRunOptions = new();
    private bool _disposed;

    private OnnxSession(string modelPath, InferenceSession session, SessionOptions sessionOptions, ExecutionProvider provider)
    {
        ModelPath = modelPath;
        _session = session;
        _sessionOptions = sessionOptions;
        _runOptions = new RunOptions();
        ActiveProvider = provider;
        InputNames = [.. session.InputNames];
        OutputNames = [.. session.OutputNames];
    }

    /// <summary>The ONNX file this session runs.</summary>
    public string ModelPath { get; }

    /// <summary>The provider actually in use: <see cref="ExecutionProvider.Cpu"/>, <see cref="ExecutionProvider.Cuda"/>
    /// or <see cref="ExecutionProvider.TensorRt"/>, never <see cref="ExecutionProvider.Auto"/>.</summary>
    public ExecutionProvider ActiveProvider { get; }

    /// <summary>Input names in graph order.</summary>
    public IReadOnlyList<string> InputNames { get; }

    /// <summary>Output names in graph order.</summary>
    public IReadOnlyList<string> OutputNames { get; }

    /// <summary>Element types and shapes of the inputs (-1 for symbolic dimensions).</summary>
    public IReadOnlyDictionary<string, NodeMetadata> InputMetadata => _session.InputMetadata;

    /// <summary>Element types and shapes of the outputs (-1 for symbolic dimensions).</summary>
    public IReadOnlyDictionary<string, NodeMetadata> OutputMetadata => _session.OutputMetadata;

    /// <summary>
    /// Creates a session. <see cref="ExecutionProvider.Auto"/> tries CUDA and falls back to CPU with one warning on
    /// <paramref name="logger"/>; an explicit GPU provider that cannot load throws.
    /// </summary>
    /// <exception cref="FileNotFoundException">The model file does not exist.</exception>
    /// <exception cref="ExecutionProviderUnavailableException">CUDA or TensorRT was asked for and cannot be loaded.</exception>
    /// <exception cref="OnnxRuntimeException">ONNX Runtime rejects the model.</exception>
    public static OnnxSession Create(string modelPath, OnnxSessionOptions? options = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        options ??= new OnnxSessionOptions();
        options.Validate();
        logger ??= NullLogger.Instance;
        string path = Path.GetFullPath(modelPath);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"ONNX model {path} not found", path);
        }

        switch (options.Provider)
        {
            case ExecutionProvider.Cpu:
                return Open(path, NewSessionOptions(options), ExecutionProvider.Cpu);
            case ExecutionProvider.Cuda:
            case ExecutionProvider.TensorRt:
                return Open(path, GpuSessionOptions(options, options.Provider), options.Provider);
            default:
                return OpenAuto(path, options, logger);
        }
    }

    /// <summary>Runs the graph and returns the requested outputs, which the caller disposes.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired; a run in progress is terminated.</exception>
    public IDisposableReadOnlyCollection<OrtValue> Run(
        IReadOnlyCollection<string> inputNames,
        IReadOnlyCollection<OrtValue> inputs,
        IReadOnlyCollection<string> outputNames,
        CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (!cancellationToken.CanBeCanceled)
        {
            return _session.Run(_runOptions, inputNames, inputs, outputNames);
        }

        RunOptions runOptions = RentRunOptions();
        try
        {
            using CancellationTokenRegistration registration = cancellationToken.UnsafeRegister(Terminate, runOptions);
            return _session.Run(runOptions, inputNames, inputs, outputNames);
        }
        catch (OnnxRuntimeException ex) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("ONNX Runtime run terminated", ex, cancellationToken);
        }
        finally
        {
            ReturnRunOptions(runOptions);
        }
    }

    /// <summary>Runs the graph writing into pre-allocated <paramref name="outputs"/> (for example tensors over caller memory).</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired; a run in progress is terminated.</exception>
    public void Run(
        IReadOnlyCollection<string> inputNames,
        IReadOnlyCollection<OrtValue> inputs,
        IReadOnlyCollection<string> outputNames,
        IReadOnlyCollection<OrtValue> outputs,
        CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (!cancellationToken.CanBeCanceled)
        {
            _session.Run(_runOptions, inputNames, inputs, outputNames, outputs);
            return;
        }

        RunOptions runOptions = RentRunOptions();
        try
        {
            using CancellationTokenRegistration registration = cancellationToken.UnsafeRegister(Terminate, runOptions);
            _session.Run(runOptions, inputNames, inputs, outputNames, outputs);
        }
        catch (OnnxRuntimeException ex) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("ONNX Runtime run terminated", ex, cancellationToken);
        }
        finally
        {
            ReturnRunOptions(runOptions);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _session.Dispose();
        _runOptions.Dispose();
        while (_cancellableRunOptions.TryDequeue(out RunOptions? pooled))
        {
            pooled.Dispose();
        }

        _sessionOptions.Dispose();
    }

    private RunOptions RentRunOptions() =>
        _cancellableRunOptions.TryDequeue(out RunOptions? pooled) ? pooled : new RunOptions();

    // Called after the registration is disposed, so no callback can set the flag again.
    private void ReturnRunOptions(RunOptions runOptions)
    {
        if (runOptions.Terminate)
        {
            runOptions.Terminate = false;
        }

        if (_disposed || _cancellableRunOptions.Count >= Environment.ProcessorCount)
        {
            runOptions.Dispose();
            return;
        }

        _cancellableRunOptions.Enqueue(runOptions);
    }

    private static void Terminate(object? state) => ((RunOptions)state!).Terminate = true;

    private static OnnxSession OpenAuto(string path, OnnxSessionOptions options, ILogger logger)
    {
        SessionOptions sessionOptions = NewSessionOptions(options);
        try
        {
            sessionOptions.AppendExecutionProvider_CUDA(options.DeviceId);
        }
        catch (Exception ex) when (IsProviderLoadFailure(ex))
        {
            sessionOptions.Dispose();
            LogCpuFallback(logger, Path.GetFileName(path), FirstLine(ex.Message));
            return Open(path, NewSessionOptions(options), ExecutionProvider.Cpu);
        }

        try
        {
            return Open(path, sessionOptions, ExecutionProvider.Cuda);
        }
        catch (OnnxRuntimeException ex)
        {
            // The CUDA provider loaded but could not start (no device, driver mismatch): CPU still works.
            LogCpuFallback(logger, Path.GetFileName(path), FirstLine(ex.Message));
            return Open(path, NewSessionOptions(options), ExecutionProvider.Cpu);
        }
    }

    private static SessionOptions GpuSessionOptions(OnnxSessionOptions options, ExecutionProvider provider)
    {
        SessionOptions sessionOptions = NewSessionOptions(options);
        try
        {
            if (provider == ExecutionProvider.TensorRt)
            {
                sessionOptions.AppendExecutionProvider_Tensorrt(options.DeviceId);
            }

            // CUDA also backs TensorRT for the nodes TensorRT does not take.
            sessionOptions.AppendExecutionProvider_CUDA(options.DeviceId);
            return sessionOptions;
        }
        catch (Exception ex) when (IsProviderLoadFailure(ex))
        {
            sessionOptions.Dispose();
            string name = provider == ExecutionProvider.TensorRt ? "TensorRT" : "CUDA";
            throw new ExecutionProviderUnavailableException(
                provider,
                $"The {name} execution provider was requested but cannot be loaded: {FirstLine(ex.Message)}. " +
                "Deploy with the Microsoft.ML.OnnxRuntime.Gpu.Linux package on a host with CUDA 13 and cuDNN 9 " +
                "(and TensorRT for 'tensorrt'), or choose 'cpu' or 'auto'.",
                ex);
        }
    }

    private static OnnxSession Open(string path, SessionOptions sessionOptions, ExecutionProvider provider)
    {
        try
        {
            return new OnnxSession(path, new InferenceSession(path, sessionOptions), sessionOptions, provider);
        }
        catch
        {
            sessionOptions.Dispose();
            throw;
        }
    }

    private static SessionOptions NewSessionOptions(OnnxSessionOptions options)
    {
        var so = new SessionOptions
        {
            IntraOpNumThreads = options.IntraOpThreads,
            InterOpNumThreads = options.InterOpThreads,
            ExecutionMode = options.ParallelExecution ? ExecutionMode.ORT_PARALLEL : ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = options.Optimization switch
            {
                GraphOptimization.Disabled => GraphOptimizationLevel.ORT_DISABLE_ALL,
                GraphOptimization.Basic => GraphOptimizationLevel.ORT_ENABLE_BASIC,
                GraphOptimization.Extended => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                _ => GraphOptimizationLevel.ORT_ENABLE_ALL,
            },
            // Provider-assignment notes are warnings in ORT's own log; errors still surface as exceptions.
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        return so;
    }

    // The managed API reports a missing provider differently per native package: the CPU build lacks the entry
    // point, the GPU build fails to load libonnxruntime_providers_cuda.so or its CUDA dependencies.
    private static bool IsProviderLoadFailure(Exception ex) =>
        ex is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException or BadImageFormatException;

    private static string FirstLine(string message)
    {
        int end = message.IndexOfAny(['\r', '\n']);
        return (end < 0 ? message : message[..end]).Trim();
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "CUDA execution provider unavailable for {Model} ({Reason}); running ONNX Runtime on CPU")]
    private static partial void LogCpuFallback(ILogger logger, string model, string reason);
}
