namespace EdgeCloudVlm.Inference.Runtime;

/// <summary>How an <see cref="OnnxSession"/> is created. Bindable from configuration.</summary>
public sealed record OnnxSessionOptions
{
    /// <summary>Execution provider; <see cref="ExecutionProvider.Auto"/> by default.</summary>
    public ExecutionProvider Provider { get; init; } = ExecutionProvider.Auto;

    /// <summary>GPU ordinal for CUDA and TensorRT.</summary>
    public int DeviceId { get; init; }

    /// <summary>Threads used inside one operator; 0 lets ONNX Runtime choose (one per physical core).</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Threads used to run independent operators in parallel; 0 lets ONNX Runtime choose.</summary>
    public int InterOpThreads { get; init; }

    /// <summary>Run independent branches of the graph in parallel (uses <see cref="InterOpThreads"/>).</summary>
    public bool ParallelExecution { get; init; }

    /// <summary>Graph optimization level.</summary>
    public GraphOptimization Optimization { get; init; } = GraphOptimization.All;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for values ONNX Runtime would reject.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(DeviceId);
        ArgumentOutOfRangeException.ThrowIfNegative(IntraOpThreads);
        ArgumentOutOfRangeException.ThrowIfNegative(InterOpThreads);
        if (!Enum.IsDefined(Provider))
        {
            throw new ArgumentOutOfRangeException(nameof(Provider), Provider, "Unknown execution provider.");
        }

        if (!Enum.IsDefined(Optimization))
        {
            throw new ArgumentOutOfRangeException(nameof(Optimization), Optimization, "Unknown optimization level.");
        }
    }
}
