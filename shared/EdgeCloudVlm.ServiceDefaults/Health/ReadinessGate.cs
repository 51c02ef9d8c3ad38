namespace EdgeCloudVlm.ServiceDefaults.Health;

/// <summary>Readiness of the parts a service must have loaded before it takes traffic (models, codebooks), plus the
/// shutdown switch. <c>/health/ready</c> answers 200 only while every expected component is ready and shutdown has not
/// begun.</summary>
/// <remarks>Declare components at registration with
/// <see cref="ServiceDefaultsExtensions.AddReadinessComponent(Microsoft.Extensions.DependencyInjection.IServiceCollection, string)"/>
/// so that the service is not ready before their loader has even started; the loader then calls
/// <see cref="MarkReady"/>. Thread-safe.</remarks>
public sealed class ReadinessGate
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ComponentState> _components = new(StringComparer.Ordinal);
    private bool _stopping;

    /// <summary>Creates a gate that waits for the declared components.</summary>
    public ReadinessGate(IEnumerable<ReadinessComponent> expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        foreach (var component in expected)
        {
            _components[component.Name] = new ComponentState(false, "not reported yet");
        }
    }

    /// <summary>True while every component is ready and shutdown has not begun.</summary>
    public bool IsReady
    {
        get
        {
            lock (_lock)
            {
                return !_stopping && _components.Values.All(c => c.Ready);
            }
        }
    }

    /// <summary>Marks <paramref name="component"/> ready, declaring it if it was not.</summary>
    public void MarkReady(string component) => Set(component, new ComponentState(true, null));

    /// <summary>Marks <paramref name="component"/> not ready (e.g. reloading), declaring it if it was not.</summary>
    /// <param name="component">Component name, e.g. <c>models</c>.</param>
    /// <param name="reason">Shown on <c>/health/ready</c>; must not contain secrets.</param>
    public void MarkNotReady(string component, string reason) => Set(component, new ComponentState(false, reason));

    /// <summary>Turns readiness off for good; called when the host starts stopping so that load balancers stop
    /// sending new requests while in-flight ones drain.</summary>
    public void MarkStopping()
    {
        lock (_lock)
        {
            _stopping = true;
        }
    }

    /// <summary>A consistent copy of the state, for reporting.</summary>
    public ReadinessSnapshot GetSnapshot()
    {
        lock (_lock)
        {
            var components = _components
                .OrderBy(p => p.Key, StringComparer.Ordinal)
                .Select(p => new ReadinessComponentState(p.Key, p.Value.Ready, p.Value.Reason))
                .ToArray();
            return new ReadinessSnapshot(!_stopping && components.All(c => c.Ready), _stopping, components);
        }
    }

    private void Set(string component, ComponentState state)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(component);
        lock (_lock)
        {
            _components[component] = state;
        }
    }

    private readonly record struct ComponentState(bool Ready, string? Reason);
}

/// <summary>A component the <see cref="ReadinessGate"/> waits for; registered as a singleton per component.</summary>
/// <param name="Name">Component name, e.g. <c>models</c> or <c>codebooks</c>.</param>
public sealed record ReadinessComponent(string Name);

/// <summary>State of a <see cref="ReadinessGate"/> at one moment.</summary>
/// <param name="IsReady">Whether the service should receive traffic.</param>
/// <param name="Stopping">Whether shutdown has begun.</param>
/// <param name="Components">Each component, by name.</param>
public sealed record ReadinessSnapshot(bool IsReady, bool Stopping, IReadOnlyList<ReadinessComponentState> Components);

/// <summary>One component of a <see cref="ReadinessSnapshot"/>.</summary>
/// <param name="Name">Component name.</param>
/// <param name="Ready">Whether it is ready.</param>
/// <param name="Reason">Why not, when not.</param>
public sealed record ReadinessComponentState(string Name, bool Ready, string? Reason);
