using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Berth.Testing;

/// <summary>A log destination that keeps every formatted message, for tests that read what the server logged.</summary>
public sealed class CapturedLog : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Category, string Message)> _entries = new();

    public IReadOnlyList<(string Category, string Message)> Entries => [.. _entries];

    /// <summary>The messages of one category, e.g. the request log's.</summary>
    public IReadOnlyList<string> MessagesOf<T>() =>
        [.. _entries.Where(e => e.Category == typeof(T).FullName).Select(e => e.Message)];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            log._entries.Enqueue((category, formatter(state, exception)));
    }
}
