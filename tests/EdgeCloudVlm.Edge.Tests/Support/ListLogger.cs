using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace EdgeCloudVlm.Edge.Tests.Support;

/// <summary>Collects formatted log lines.</summary>
internal sealed class ListLogger<T> : ILogger<T>
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

    public IReadOnlyList<string> Messages(LogLevel atLeast) => [.. Entries.Where(e => e.Level >= atLeast).Select(e => e.Message)];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, formatter(state, exception)));
}
