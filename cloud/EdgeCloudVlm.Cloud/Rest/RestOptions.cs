using System.ComponentModel.DataAnnotations;

namespace EdgeCloudVlm.Cloud.Rest;

/// <summary>The OpenAI-compatible REST API's settings (section <c>Rest</c>).</summary>
public sealed class RestOptions
{
    public const string SectionName = "Rest";

    /// <summary>Fetch <c>http(s)://</c> image URLs. Off by default: the server would make requests on a caller's
    /// behalf (a server-side request forgery risk); send images as <c>data:</c> URLs instead.</summary>
    public bool AllowRemoteImageUrls { get; set; }

    /// <summary>Time allowed to fetch a remote image.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan RemoteImageTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Deadline of a chat completion from its arrival; unset leaves the engine's default deadline.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan? RequestTimeout { get; set; }
}
