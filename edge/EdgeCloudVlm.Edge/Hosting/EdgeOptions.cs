using System.ComponentModel.DataAnnotations;
using EdgeCloudVlm.Inference.Runtime;

namespace EdgeCloudVlm.Edge.Hosting;

/// <summary>The device and its model (section <c>Edge</c>).</summary>
public sealed class EdgeOptions
{
    public const string SectionName = "Edge";

    /// <summary>Stable device id sent in Hello and every frame; default the host name.</summary>
    [Required]
    public string DeviceId { get; set; } = Environment.MachineName;

    /// <summary>Model folder (model.json and vision_edge.onnx); default the repository's demo model when found above
    /// the working directory or the agent's own folder.</summary>
    public string? ModelFolder { get; set; }

    /// <summary>Model id frames name; default the manifest's name.</summary>
    public string? ModelId { get; set; }

    /// <summary>State folder: spool, pulled codebooks, results, state file. Default <c>$STATE_DIRECTORY</c> (set by
    /// systemd's StateDirectory=) or <c>./ecv-edge-data</c>.</summary>
    public string DataDirectory { get; set; } = "";

    /// <summary>Question for images that come without one (no sidecar file).</summary>
    [Required]
    public string DefaultQuestion { get; set; } = "what is in the image?";

    /// <summary>Where ONNX Runtime runs the vision head: Cpu (default), Cuda or TensorRt (Jetson), or Auto.</summary>
    public ExecutionProvider ExecutionProvider { get; set; } = ExecutionProvider.Cpu;

    /// <summary>Threads inside one ONNX operator; 0 lets ONNX Runtime choose.</summary>
    [Range(0, 256)]
    public int IntraOpThreads { get; set; } = 1;

    /// <summary>GPU ordinal for Cuda and TensorRt.</summary>
    [Range(0, 64)]
    public int GpuDeviceId { get; set; }

    /// <summary>Agent version sent in Hello.</summary>
    public static string AgentVersion { get; } = typeof(EdgeOptions).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
