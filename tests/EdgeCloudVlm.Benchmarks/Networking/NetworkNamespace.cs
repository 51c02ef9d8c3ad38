namespace EdgeCloudVlm.Benchmarks.Networking;

/// <summary>
/// A network namespace of a suite's own (<c>ip netns</c>; needs root): its loopback is the link under test, which can be
/// shaped (<c>tc</c>) or cut for real by setting it down (this kernel has no netem). Created fresh — a namespace of the
/// same name left by an interrupted run is removed first — with its loopback up, and deleted on dispose.
/// </summary>
internal sealed class NetworkNamespace : IDisposable
{
    private NetworkNamespace(string name) => Name = name;

    public string Name { get; }

    /// <summary>Creates namespace <paramref name="name"/>; with <paramref name="mtu"/>, its loopback takes that MTU (1500:
    /// Ethernet-sized packets, so TCP segments and queues like a real uplink instead of in 64 KiB loopback chunks).</summary>
    public static NetworkNamespace Create(string name, int? mtu = null)
    {
        if (ExternalCommand.TryRun(["ip", "netns", "list"], out string list) && list.Split('\n').Any(line => line.Split(' ')[0] == name))
        {
            ExternalCommand.Run(["ip", "netns", "delete", name]);
        }

        if (!ExternalCommand.TryRun(["ip", "netns", "add", name], out string error))
        {
            throw new InvalidOperationException($"ip netns add {name} failed (network namespaces need root and iproute2): {error.Trim()}");
        }

        var created = new NetworkNamespace(name);
        try
        {
            if (mtu is int bytes)
            {
                ExternalCommand.Run(Exec(name, ["ip", "link", "set", "dev", "lo", "mtu", bytes.ToString(System.Globalization.CultureInfo.InvariantCulture)]));
            }

            created.SetLink(up: true);
            return created;
        }
        catch
        {
            created.Dispose();
            throw;
        }
    }

    /// <summary>The command line that runs <paramref name="command"/> inside namespace <paramref name="name"/>.</summary>
    public static IReadOnlyList<string> Exec(string name, IReadOnlyList<string> command) => ["ip", "netns", "exec", name, .. command];

    /// <summary>Sets the loopback up or down: down cuts every connection across it until it is up again.</summary>
    public void SetLink(bool up) => ExternalCommand.Run(Exec(Name, ["ip", "link", "set", "dev", "lo", up ? "up" : "down"]));

    public void Dispose() => ExternalCommand.TryRun(["ip", "netns", "delete", Name], out _);
}
