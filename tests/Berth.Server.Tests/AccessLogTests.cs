using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Berth.Server.Hosting;
using Berth.Server.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Berth.Server.Tests;

/// <summary>
/// The access log of berth serve (issue 15 item 7), written off the request path by <see cref="AccessLogWriter"/>:
/// the lines the console logger wrote before, every queued line written by the time the server has stopped,
/// and a full queue that drops and counts instead of holding requests.
/// </summary>
public sealed partial class AccessLogTests
{
    // CR LF with a forged line after it, an ANSI escape, and a quote that would end a JSON string.
    private const string HostilePath = "/v2/team/app%0D%0A2026-01-01T00:00:00.000Z%20info:%20GET%20/v2/admin%20200%1B[2J%22x/manifests/v1";

    [Theory]
    [InlineData(LogFormat.Text)]
    [InlineData(LogFormat.Json)]
    public async Task EveryRequest_HasALine_AsTheConsoleFormatterWritesIt_AndHostilePathsCannotForgeLines(LogFormat format)
    {
        var output = new MemoryStream();
        await using (var registry = await InProcessBerth.StartAsync(server: options => options with
        {
            LogLevel = LogLevel.Information,
            LogFormat = format,
            AccessLogOutput = output,
        }))
        {
            Assert.Equal(HttpStatusCode.OK, (await registry.Client.GetAsync("/v2/")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await registry.Client.GetAsync("/v2/team/app/manifests/missing?x=1")).StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, (await registry.Client.GetAsync(HostilePath)).StatusCode);
        }
        // Stopping the server wrote out the queue.
        var lines = Encoding.UTF8.GetString(output.ToArray()).Split('\n');
        Assert.Equal("", lines[^1]);
        lines = lines[..^1];
        Assert.Equal(3, lines.Length);
        foreach (var line in lines)
        {
            Assert.DoesNotContain('\r', line);
            Assert.DoesNotContain('\u001B', line);
        }

        var fields = lines.Select(line => format == LogFormat.Json ? FieldsOfJson(line) : FieldsOfText(line)).ToList();
        Assert.Equal(("GET", "/v2/", "", 200), (fields[0].Method, fields[0].Path, fields[0].Query, fields[0].Status));
        Assert.Equal(("/v2/team/app/manifests/missing", "?x=1", 404), (fields[1].Path, fields[1].Query, fields[1].Status));
        Assert.Equal(@"/v2/team/app\r\n2026-01-01T00:00:00.000Z info: GET /v2/admin 200\e[2J""x/manifests/v1", fields[2].Path);
        Assert.Equal(400, fields[2].Status);
        foreach (var field in fields)
        {
            Assert.Equal("127.0.0.1", field.Client);
            Assert.Matches("^[0-9a-f]{32}$", field.TraceId);
        }

        // The same values through Microsoft's console formatter give the same line, but for the time stamp.
        for (var i = 0; i < lines.Length; i++)
        {
            var expected = ConsoleFormatterLine(format, fields[i]);
            if (format == LogFormat.Json)
            {
                Assert.Equal(WithoutTimestamp(expected), WithoutTimestamp(lines[i]));
            }
            else
            {
                Assert.Equal(expected, lines[i][(lines[i].IndexOf(' ') + 1)..]);
            }
        }
    }

    [Fact]
    public async Task StoppingBerthServe_WritesEveryQueuedLine()
    {
        using var folder = new TemporaryFolder("berth-access-log");
        var berth = await BerthProcess.StartAsync(new BerthProcessOptions { DataDirectory = folder.Sub("data"), LogLevel = "Information" });
        await using var _ = berth;
        const int Requests = 300;
        using var http = new HttpClient { BaseAddress = berth.Address };
        // Eight clients at once, so lines queue up faster than one at a time.
        await Parallel.ForAsync(0, Requests, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, cancel) =>
        {
            using var response = await http.GetAsync($"/v2/stop/app/manifests/t{i}", cancel);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        });
        await berth.StopAsync();

        var logged = berth.Lines.Where(l => l.Contains("RequestLoggingMiddleware[1] GET /v2/stop/app/manifests/t", StringComparison.Ordinal)).ToList();
        Assert.Equal(Requests, logged.Count);
        Assert.Equal(Requests, logged.Select(l => FieldsOfText(l).Path).Distinct().Count());
    }

    [Fact]
    public async Task AFullQueue_DropsAndCountsLines_AndRequestsGoOn()
    {
        var output = new StalledStream();
        var log = new CapturedLog();
        const int Capacity = 4;
        const int Requests = 40;
        await using (var registry = await InProcessBerth.StartAsync(server: options => options with
        {
            LogLevel = LogLevel.Information,
            AccessLogOutput = output,
            AccessLogQueueCapacity = Capacity,
            LoggerProviders = [log],
        }))
        {
            Assert.Equal(HttpStatusCode.OK, (await registry.Client.GetAsync("/v2/")).StatusCode);
            // The writer is now stuck in its first write, as on a stalled pipe: the queue fills and the rest is dropped.
            await output.Entered.WaitAsync(TimeSpan.FromSeconds(30));
            for (var i = 1; i < Requests; i++)
            {
                Assert.Equal(HttpStatusCode.OK, (await registry.Client.GetAsync("/v2/")).StatusCode);
            }
            var scraped = await DroppedMetricAsync(registry);
            Assert.True(scraped > 0, $"berth_access_log_dropped_total is {scraped}");
            output.Release();
        }

        var written = Encoding.UTF8.GetString(output.Written).Count(c => c == '\n');
        var warnings = log.Entries.Where(e => e.Category == typeof(AccessLogWriter).FullName).Select(e => DroppedCount().Match(e.Message)).ToList();
        Assert.All(warnings, w => Assert.True(w.Success));
        var dropped = warnings.Sum(w => long.Parse(w.Groups["count"].Value, System.Globalization.CultureInfo.InvariantCulture));
        // Every request is either written or counted as dropped; no more than the queue and the stuck batch were kept.
        Assert.Equal(Requests, written + dropped);
        Assert.InRange(dropped, Requests - Capacity - 1 - 1, Requests - 1);
    }

    private static async Task<double> DroppedMetricAsync(InProcessBerth registry)
    {
        // The last drops happen after their responses, and the exporter caches a scrape briefly: read until counted.
        for (var attempt = 0; ; attempt++)
        {
            var text = await registry.Client.GetStringAsync("/metrics");
            var match = Regex.Match(text, @"^berth_access_log_dropped_total(\{[^}]*\})? (?<value>\S+)", RegexOptions.Multiline);
            if (match.Success || attempt == 100)
            {
                return match.Success ? double.Parse(match.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
            }
            await Task.Delay(100);
        }
    }

    private sealed record Fields(string Method, string Path, string Query, int Status, long Length, double Milliseconds, string Client, string TraceId);

    private static Fields FieldsOfText(string line)
    {
        var match = TextLine().Match(line);
        Assert.True(match.Success, line);
        var target = match.Groups["target"].Value;
        var query = target.IndexOf('?');
        return new Fields(match.Groups["method"].Value, query < 0 ? target : target[..query], query < 0 ? "" : target[query..],
            int.Parse(match.Groups["status"].Value), long.Parse(match.Groups["length"].Value),
            double.Parse(match.Groups["ms"].Value, System.Globalization.CultureInfo.InvariantCulture), match.Groups["client"].Value, match.Groups["trace"].Value);
    }

    private static Fields FieldsOfJson(string line)
    {
        using var document = JsonDocument.Parse(line);
        var state = document.RootElement.GetProperty("State");
        return new Fields(state.GetProperty("Method").GetString()!, state.GetProperty("Path").GetString()!, state.GetProperty("Query").GetString()!,
            state.GetProperty("Status").GetInt32(), state.GetProperty("Length").GetInt64(), state.GetProperty("Milliseconds").GetDouble(),
            state.GetProperty("Client").GetString()!, state.GetProperty("TraceId").GetString()!);
    }

    private static string WithoutTimestamp(string json) => Regex.Replace(json, "^\\{\"Timestamp\":\"[^\"]+\",", "{");

    /// <summary>What the console logger of RegistryServer (same options, no timestamp in text, no colours) wrote for these fields.</summary>
    private static string ConsoleFormatterLine(LogFormat format, Fields fields)
    {
        var services = new ServiceCollection().AddLogging(logging => logging
            .AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.ColorBehavior = LoggerColorBehavior.Disabled;
            })
            .AddJsonConsole(console =>
            {
                console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                console.UseUtcTimestamp = true;
            }));
        using var provider = services.BuildServiceProvider();
        var formatter = provider.GetServices<ConsoleFormatter>().Single(f => f.Name == (format == LogFormat.Json ? ConsoleFormatterNames.Json : ConsoleFormatterNames.Simple));
        var logger = new FormattingLogger(formatter);
        logger.RequestCompleted(fields.Method, fields.Path, fields.Query, fields.Status, fields.Length, fields.Milliseconds, fields.Client, fields.TraceId);
        return logger.Line!.TrimEnd('\n');
    }

    private sealed class FormattingLogger(ConsoleFormatter formatter) : ILogger
    {
        public string? Line { get; private set; }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> format)
        {
            using var text = new StringWriter();
            formatter.Write(new LogEntry<TState>(logLevel, AccessLogWriter.Category, eventId, state, exception, format), null, text);
            Line = text.ToString();
        }
    }

    /// <summary>An output whose first write blocks until released, as a pipe nobody reads; keeps what was written.</summary>
    private sealed class StalledStream : Stream
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ManualResetEventSlim _released = new();
        private readonly MemoryStream _written = new();

        public Task Entered => _entered.Task;

        public byte[] Written
        {
            get
            {
                lock (_written) return _written.ToArray();
            }
        }

        public void Release() => _released.Set();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _entered.TrySetResult();
            _released.Wait();
            lock (_written) _written.Write(buffer);
        }

        public override void Flush()
        {
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info: Berth\.Server\.Pipeline\.RequestLoggingMiddleware\[1\] (?<method>[A-Z]+) (?<target>.+?) (?<status>\d{3}) (?<length>-?\d+) (?<ms>\d+\.\d)ms (?<client>\S+) (?<trace>\S+)$")]
    private static partial Regex TextLine();

    [GeneratedRegex(@"^Access log: (?<count>\d+) line\(s\) dropped")]
    private static partial Regex DroppedCount();
}
