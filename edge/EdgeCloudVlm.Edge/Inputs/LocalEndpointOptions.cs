using System.ComponentModel.DataAnnotations;

namespace EdgeCloudVlm.Edge.Inputs;

/// <summary>The local HTTP endpoint (section <c>Edge:Http</c>): loopback only, for applications on the device.</summary>
public sealed class LocalEndpointOptions
{
    public const string SectionName = "Edge:Http";

    /// <summary>Loopback address to listen on (127.0.0.1 or ::1); never a routable one.</summary>
    [Required]
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one (written to the state file for <c>status</c>).</summary>
    [Range(0, 65535)]
    public int Port { get; set; } = 5180;

    /// <summary>How long a synchronous request waits for its answer before it gets 202 and the frame id.</summary>
    public TimeSpan SyncTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Largest request body (the image), in bytes.</summary>
    [Range(1024, 512 * 1024 * 1024)]
    public int MaxImageBytes { get; set; } = 16 * 1024 * 1024;
}
