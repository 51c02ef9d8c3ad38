namespace EdgeCloudVlm.Benchmarks.Reliability;

/// <summary>
/// Where the cloud service and the edge agent were built: the benchmark's build writes their target paths to
/// <c>reliability-services.txt</c> beside itself (see the project file), so that the suite runs each from its own
/// output folder, as a deployment would.
/// </summary>
internal sealed record ServicePaths(string CloudDll, string? EdgeDll, string? EdgeProblem)
{
    public static ServicePaths Find()
    {
        string list = Path.Combine(AppContext.BaseDirectory, "reliability-services.txt");
        string[] paths = File.Exists(list) ? File.ReadAllLines(list) : [];
        string? cloud = paths.FirstOrDefault(p => p.EndsWith("EdgeCloudVlm.Cloud.dll", StringComparison.Ordinal));
        string? edge = paths.FirstOrDefault(p => p.EndsWith("ecv-edge.dll", StringComparison.Ordinal));
        if (cloud is null || !File.Exists(cloud))
        {
            throw new FileNotFoundException($"the cloud service's build output is not listed in {list}; rebuild tests/EdgeCloudVlm.Benchmarks");
        }

        return edge is not null && File.Exists(edge)
            ? new ServicePaths(cloud, edge, null)
            : new ServicePaths(cloud, null, $"the edge agent is not built ({edge ?? "no path in " + list}): dotnet build edge/EdgeCloudVlm.Edge with the same configuration");
    }
}
