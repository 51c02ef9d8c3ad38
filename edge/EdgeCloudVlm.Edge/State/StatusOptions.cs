namespace EdgeCloudVlm.Edge.State;

/// <summary>The state file (section <c>Edge:Status</c>) that <c>status</c> reads when the agent is not running.</summary>
public sealed class StatusOptions
{
    public const string SectionName = "Edge:Status";

    /// <summary>Default <c>{DataDirectory}/state.json</c>.</summary>
    public string StateFile { get; set; } = "";

    public TimeSpan WriteInterval { get; set; } = TimeSpan.FromSeconds(5);
}
