using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace EdgeCloudVlm.ServiceDefaults.Tests.TestSupport;

/// <summary>Records every log entry, at every level, with its structured values and scopes rendered as text, so tests
/// can search all of it for secrets.</summary>
internal sealed class CapturedLogs : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    /// <summary>Every message, structured value, scope and exception as one text per entry.</summary>
    public IEnumerable<string> AllText() => _entries.Select(e => e.ToString());

    public sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, string Values, string Scopes,
        string? Exception)
    {
        public override string ToString() => $"[{Level}] {Category}: {Message} | {Values} | {Scopes} | {Exception}";
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? string.Join("; ", pairs.Select(p => $"{p.Key}={p.Value}"))
                : state?.ToString() ?? string.Empty;
            var scopes = new List<string>();
            owner._scopes.ForEachScope((scope, list) =>
            {
                list.Add(scope is IEnumerable<KeyValuePair<string, object?>> kv
                    ? string.Join("; ", kv.Select(p => $"{p.Key}={p.Value}"))
                    : scope?.ToString() ?? string.Empty);
            }, scopes);
            owner._entries.Enqueue(new LogEntry(category, logLevel, eventId, formatter(state, exception), values,
                string.Join(" / ", scopes), exception?.ToString()));
        }
    }
}
