using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Berth.Server.Hosting;
using Berth.Server.Observability;
using Berth.Server.Pipeline;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Berth.Server.Logging;

/// <summary>
/// The access log of <c>berth serve</c>: one line per request, written off the request path. A request only
/// copies its fields into a bounded queue; one background loop formats the lines, in the text or JSON format
/// of the console logger, and writes them in batches, one write per batch (at most every 10 ms), when the queue has drained.
/// The console logger instead formats each line on the request path and writes it with a write call of its
/// own (issue 15 item 7 measured 39% of manifest GET throughput lost to that).
/// </summary>
internal sealed class AccessLogWriter : IHostedLifecycleService, IAsyncDisposable
{
    /// <summary>The category and event id of the console logger's request lines, kept so that filters and parsers of the log still match.</summary>
    public const string Category = "Berth.Server.Pipeline.RequestLoggingMiddleware";

    public const int DefaultQueueCapacity = 16384;

    private const int EventId = 1;

    // ServerLog.RequestCompleted's template: the JSON format names it, as the JSON console formatter does.
    private const string OriginalFormat = "{Method} {Path}{Query} {Status} {Length} {Milliseconds:0.0}ms {Client} {TraceId}";

    // The console formatters' TimestampFormat (RegistryServer), invariant as the process's culture is.
    private const string TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";

    // A batch is written once it reaches this size even if more lines wait, so the buffer stays small.
    private const int BatchBytes = 32 * 1024;

    // The console logger's level colour (black background, dark green "info"), when it would colour: on a terminal.
    private const string ColouredInformation = "\u001B[40m\u001B[32minfo\u001B[39m\u001B[22m\u001B[49m";

    private static readonly TimeSpan BatchWindow = TimeSpan.FromMilliseconds(10);

    private static readonly TimeSpan DropWarningInterval = TimeSpan.FromSeconds(10);

    private readonly Channel<Entry> _queue;
    private readonly Stream _output;
    private readonly bool _ownsOutput;
    private readonly object? _consoleLock;
    private readonly LogFormat _format;
    private readonly int _capacity;
    private readonly ILogger _logger;
    private readonly ServerMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ArrayBufferWriter<byte> _batch = new(2 * BatchBytes);
    private readonly Utf8JsonWriter _json;
    private readonly byte[] _textLevel;
    private readonly StringBuilder _message = new(256);
    private readonly Task _writing;
    private long _dropped;
    private long _droppedReported;
    private long _lastDropWarning = long.MinValue;

    /// <param name="output">Where lines go; null: stdout, shared with the console logger.</param>
    public AccessLogWriter(Stream? output, LogFormat format, int queueCapacity, ILogger<AccessLogWriter> logger, ServerMetrics metrics, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(queueCapacity, 1);
        _ownsOutput = output is null;
        _output = output ?? Console.OpenStandardOutput();
        // The console logger writes a line with one TextWriter.Write on Console.Out, which is a TextWriter.Synchronized
        // wrapper: its methods are MethodImplOptions.Synchronized, which "lock on the instance" (MethodImplOptions docs).
        // Holding that lock while a batch is written keeps its lines (written in 256-character pieces) and ours whole.
        _consoleLock = output is null ? Console.Out : null;
        _format = format;
        _capacity = queueCapacity;
        _logger = logger;
        _metrics = metrics;
        _time = time;
        // The JSON console formatter's writer options: the default encoder, not indented.
        _json = new Utf8JsonWriter(_batch, new JsonWriterOptions { Indented = false });
        var level = output is null && !Console.IsOutputRedirected ? ColouredInformation : "info";
        _textLevel = Encoding.UTF8.GetBytes($" {level}: {Category}[{EventId}] ");
        // Wait as the full mode only makes TryWrite answer false when the queue is full; a request never waits (see Add).
        _queue = Channel.CreateBounded<Entry>(new BoundedChannelOptions(queueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
        _writing = Task.Run(WriteLoopAsync);
    }

    /// <summary>Lines dropped so far because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>
    /// Queues the line of an answered request. When the queue is full (the output is slower than the requests: a
    /// stalled pipe, a full disk, a paused terminal) the line is dropped and counted, in the metric
    /// berth_access_log_dropped_total and in a warning (event 2) at most every 10 s: a request never waits for
    /// the log, as with Docker's non-blocking log mode, which drops when its buffer is full.
    /// </summary>
    public void Add(HttpContext context, long startedTimestamp)
    {
        var request = context.Request;
        var response = context.Response;
        var activity = Activity.Current;
        var entry = new Entry(DateTime.UtcNow, request.Method, request.PathBase, request.Path, request.QueryString.Value, response.StatusCode,
            response.ContentLength ?? -1, Stopwatch.GetElapsedTime(startedTimestamp).TotalMilliseconds, context.Connection.RemoteIpAddress,
            activity is null ? null : activity.TraceId);
        if (_queue.Writer.TryWrite(entry)) return;
        // After shutdown (a request that outlived the host's shutdown timeout) the queue is closed: nothing to count.
        if (_queue.Reader.Completion.IsCompleted) return;
        Interlocked.Increment(ref _dropped);
        _metrics.AccessLogLineDropped();
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // Lines gather for a moment before a batch is written (as nginx's access_log buffer with flush= does), so a
            // busy server makes a few writes a second, not one wake-up and one write per request.
            // Real time, not the injected clock: a test's fake clock must not hold the log back.
            await Task.Delay(BatchWindow).ConfigureAwait(false);
            var lines = 0;
            while (reader.TryRead(out var entry))
            {
                Format(entry);
                lines++;
                if (_batch.WrittenCount >= BatchBytes)
                {
                    Write(lines);
                    lines = 0;
                }
            }
            Write(lines);
            ReportDrops(final: false);
        }
        ReportDrops(final: true);
    }

    private void Format(in Entry entry)
    {
        var method = LoggedText.Escape(entry.Method);
        var path = LoggedText.Escape((entry.PathBase + entry.Path).Value);
        var query = LoggedText.Escape(entry.Query);
        var client = entry.Client?.ToString() ?? "-";
        var traceId = entry.TraceId?.ToHexString() ?? "-";
        // ServerLog.RequestCompleted's message, as its generated formatter writes it (invariant culture).
        var message = _message.Clear()
            .Append(method).Append(' ').Append(path).Append(query).Append(' ')
            .Append(CultureInfo.InvariantCulture, $"{entry.Status} {entry.Length} {entry.Milliseconds:0.0}ms ")
            .Append(client).Append(' ').Append(traceId);
        Span<char> timestamp = stackalloc char[32];
        entry.Time.TryFormat(timestamp, out var timestampLength, TimestampFormat, CultureInfo.InvariantCulture);
        timestamp = timestamp[..timestampLength];
        if (_format == LogFormat.Json)
        {
            // Property for property what the JSON console formatter writes for this event (JsonFormatTests compares the two).
            _json.Reset(_batch);
            _json.WriteStartObject();
            _json.WriteString("Timestamp", timestamp);
            _json.WriteNumber("EventId", EventId);
            _json.WriteString("LogLevel", "Information");
            _json.WriteString("Category", Category);
            WriteString("Message", message);
            _json.WriteStartObject("State");
            _json.WriteString("Method", method);
            _json.WriteString("Path", path);
            _json.WriteString("Query", query);
            _json.WriteNumber("Status", entry.Status);
            _json.WriteNumber("Length", entry.Length);
            _json.WriteNumber("Milliseconds", entry.Milliseconds);
            _json.WriteString("Client", client);
            _json.WriteString("TraceId", traceId);
            _json.WriteString("{OriginalFormat}", OriginalFormat);
            _json.WriteEndObject();
            _json.WriteEndObject();
            _json.Flush();
        }
        else
        {
            // The simple console formatter's single line: "<timestamp> info: <category>[<event id>] <message>".
            Append(timestamp);
            _batch.Write(_textLevel);
            foreach (var chunk in message.GetChunks()) Append(chunk.Span);
        }
        _batch.Write("\n"u8);
    }

    private void WriteString(string name, StringBuilder value)
    {
        var chars = ArrayPool<char>.Shared.Rent(value.Length);
        value.CopyTo(0, chars, value.Length);
        _json.WriteString(name, chars.AsSpan(0, value.Length));
        ArrayPool<char>.Shared.Return(chars);
    }

    private void Append(ReadOnlySpan<char> text)
    {
        var written = Encoding.UTF8.GetBytes(text, _batch.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length)));
        _batch.Advance(written);
    }

    /// <summary>Writes the batch of whole lines in one call, so that no other writer's line lands inside one of ours.</summary>
    private void Write(int lines)
    {
        if (_batch.WrittenCount == 0) return;
        try
        {
            if (_consoleLock is null)
            {
                _output.Write(_batch.WrittenSpan);
                _output.Flush();
            }
            else
            {
                lock (_consoleLock)
                {
                    _output.Write(_batch.WrittenSpan);
                    _output.Flush();
                }
            }
        }
        catch (IOException)
        {
            // The output failed (stdout on a full disk): these lines are lost, and counted as such.
            Interlocked.Add(ref _dropped, lines);
            _metrics.AccessLogLineDropped(lines);
        }
        finally
        {
            _batch.ResetWrittenCount();
        }
    }

    private void ReportDrops(bool final)
    {
        var dropped = Interlocked.Read(ref _dropped);
        var unreported = dropped - _droppedReported;
        if (unreported == 0) return;
        var now = _time.GetTimestamp();
        // At most one warning per interval while lines keep being dropped; at shutdown, whatever is left unreported.
        if (!final && _lastDropWarning != long.MinValue && _time.GetElapsedTime(_lastDropWarning, now) < DropWarningInterval) return;
        _lastDropWarning = now;
        _droppedReported = dropped;
        _logger.AccessLogLinesDropped(unreported, _capacity);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// After every hosted service has stopped, Kestrel included, so the requests it let finish are in the queue:
    /// the queue is closed and written out to the last line.
    /// </summary>
    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        return _writing.WaitAsync(cancellationToken);
    }

    /// <summary>Writes out what is queued (if the host never stopped), then closes stdout's stream.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writing.ConfigureAwait(false);
        await _json.DisposeAsync().ConfigureAwait(false);
        if (_ownsOutput) await _output.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>What a request leaves in the queue: the fields of its line, formatted later by the background loop.</summary>
    private readonly record struct Entry(DateTime Time, string Method, PathString PathBase, PathString Path, string? Query, int Status, long Length,
        double Milliseconds, IPAddress? Client, ActivityTraceId? TraceId);
}
