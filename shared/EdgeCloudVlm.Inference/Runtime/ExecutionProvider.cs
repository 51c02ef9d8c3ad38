namespace EdgeCloudVlm.Inference.Runtime;

/// <summary>Where ONNX Runtime executes a session.</summary>
public enum ExecutionProvider
{
    /// <summary>CUDA when its libraries load, otherwise CPU (with one log line).</summary>
    Auto = 0,

    /// <summary>The CPU provider; always available.</summary>
    Cpu = 1,

    /// <summary>NVIDIA CUDA; fails with <see cref="ExecutionProviderUnavailableException"/> when it cannot load.</summary>
    Cuda = 2,

    /// <summary>NVIDIA TensorRT with CUDA for the nodes TensorRT does not take; fails like <see cref="Cuda"/>.</summary>
    TensorRt = 3,
}
