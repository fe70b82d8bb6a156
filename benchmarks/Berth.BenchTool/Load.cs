using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Berth.BenchTool;

/// <summary>
/// A minimal closed-loop HTTP/1.1 load generator in the manner of wrk: C keep-alive connections, each
/// sending the next request as soon as the previous response is complete, one in flight per
/// connection. It exists for HEAD, whose responses carry Content-Length but no body (RFC 9110 §9.3.2):
/// wrk 4.1 and h2load in HTTP/1.1 mode wait for that body and stall. Pre-encoded request bytes,
/// no allocation per request; run it with DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1.
/// </summary>
internal static class Load
{
    public static async Task<int> RunAsync(Options options, string[] args)
    {
        var url = new Uri(options.Require("url"));
        var method = options.Get("method", "HEAD").ToUpperInvariant();
        var connections = options.GetInt("connections", 16);
        var seconds = options.GetDouble("seconds", 10);
        var warmup = options.GetDouble("warmup", 0);

        var request = new StringBuilder();
        request.Append(CultureInfo.InvariantCulture, $"{method} {url.PathAndQuery} HTTP/1.1\r\nHost: {url.Authority}\r\n");
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            if (args[i] == "--header") request.Append(args[i + 1]).Append("\r\n");
        }
        request.Append("\r\n");
        var requestBytes = Encoding.ASCII.GetBytes(request.ToString());
        var endpoint = new IPEndPoint(IPAddress.Parse(url.Host), url.Port);

        if (warmup > 0) await RunPhaseAsync(endpoint, requestBytes, method == "HEAD", connections, warmup);
        var result = await RunPhaseAsync(endpoint, requestBytes, method == "HEAD", connections, seconds);

        var latencies = result.Latencies;
        Array.Sort(latencies);
        double Percentile(double p) => latencies.Length == 0 ? 0
            : latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(p * latencies.Length) - 1)] * 1000.0 / Stopwatch.Frequency;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"requests={latencies.Length}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rps={latencies.Length / result.Elapsed:F1}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"p50_ms={Percentile(0.50):F3}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"p99_ms={Percentile(0.99):F3}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"non2xx3xx={result.BadStatus}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"socket_errors={result.SocketErrors}"));
        return 0;
    }

    private sealed record PhaseResult(long[] Latencies, double Elapsed, long BadStatus, long SocketErrors);

    private static async Task<PhaseResult> RunPhaseAsync(IPEndPoint endpoint, byte[] request, bool isHead, int connections, double seconds)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var start = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, connections).Select(_ => RunConnectionAsync(endpoint, request, isHead, deadline)).ToArray();
        var outcomes = await Task.WhenAll(workers);
        var elapsed = (Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency;
        var all = outcomes.SelectMany(o => o.Latencies).ToArray();
        return new PhaseResult(all, elapsed, outcomes.Sum(o => o.BadStatus), outcomes.Sum(o => o.SocketErrors));
    }

    private sealed record ConnectionOutcome(List<long> Latencies, long BadStatus, long SocketErrors);

    private static async Task<ConnectionOutcome> RunConnectionAsync(IPEndPoint endpoint, byte[] request, bool isHead, long deadline)
    {
        await Task.Yield();
        var latencies = new List<long>(1 << 16);
        long badStatus = 0, socketErrors = 0;
        var buffer = new byte[64 * 1024];
        Socket? socket = null;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            try
            {
                if (socket is null)
                {
                    socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    await socket.ConnectAsync(endpoint);
                }
                var began = Stopwatch.GetTimestamp();
                await socket.SendAsync(request, SocketFlags.None);
                var (status, keepAlive) = await ReadResponseAsync(socket, buffer, isHead);
                latencies.Add(Stopwatch.GetTimestamp() - began);
                if (status is < 200 or >= 400) badStatus++;
                if (!keepAlive)
                {
                    socket.Dispose();
                    socket = null;
                }
            }
            catch (Exception e) when (e is SocketException or IOException or InvalidDataException)
            {
                socketErrors++;
                socket?.Dispose();
                socket = null;
            }
        }
        socket?.Dispose();
        return new ConnectionOutcome(latencies, badStatus, socketErrors);
    }

    /// <summary>Reads one response: the header block, then Content-Length bytes unless it has no body.</summary>
    private static async ValueTask<(int Status, bool KeepAlive)> ReadResponseAsync(Socket socket, byte[] buffer, bool isHead)
    {
        var filled = 0;
        int headerEnd;
        while ((headerEnd = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (filled == buffer.Length) throw new InvalidDataException("response header too large");
            var read = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None);
            if (read == 0) throw new IOException("connection closed");
            filled += read;
        }
        var (status, contentLength, keepAlive) = ParseHeader(buffer.AsSpan(0, headerEnd + 4));
        long body = isHead || status is 204 or 304 || status < 200 ? 0 : contentLength;
        var remaining = body - (filled - (headerEnd + 4));
        while (remaining > 0)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None);
            if (read == 0) throw new IOException("connection closed");
            remaining -= read;
        }
        if (remaining < 0) throw new InvalidDataException("unexpected bytes after the response (pipelining is not used)");
        return (status, keepAlive);
    }

    private static (int Status, long ContentLength, bool KeepAlive) ParseHeader(ReadOnlySpan<byte> header)
    {
        // "HTTP/1.1 200 ..."
        if (header.Length < 12 || !Utf8Parser.TryParse(header.Slice(9, 3), out int status, out _))
        {
            throw new InvalidDataException("not an HTTP/1.1 response");
        }
        long contentLength = -1;
        var keepAlive = true;
        var lineStart = header.IndexOf("\r\n"u8) + 2;
        while (lineStart < header.Length - 2)
        {
            var lineLength = header[lineStart..].IndexOf("\r\n"u8);
            var line = header.Slice(lineStart, lineLength);
            var colon = line.IndexOf((byte)':');
            if (colon > 0)
            {
                var name = line[..colon];
                var value = line[(colon + 1)..].Trim((byte)' ');
                if (Ascii.EqualsIgnoreCase(name, "content-length"u8))
                {
                    Utf8Parser.TryParse(value, out contentLength, out _);
                }
                else if (Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8))
                {
                    throw new InvalidDataException("chunked responses are not supported");
                }
                else if (Ascii.EqualsIgnoreCase(name, "connection"u8) && Ascii.EqualsIgnoreCase(value, "close"u8))
                {
                    keepAlive = false;
                }
            }
            lineStart += lineLength + 2;
        }
        if (contentLength < 0 && !(status is 204 or 304)) contentLength = 0;
        return (status, contentLength, keepAlive);
    }
}
