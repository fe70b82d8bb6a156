using System.Net.Sockets;
using System.Text;

namespace Berth.Server.Tests.Support;

/// <summary>
/// HTTP/1.1 over a plain socket, for requests HttpClient cannot express: a header sent as several
/// separate field lines (HttpClient folds them into one), or an empty or malformed value it would
/// normalise. The conditional-request rules depend on exactly these shapes (RFC 9110 §5.3).
/// </summary>
public static class RawHttp
{
    public sealed record Response(int Status, IReadOnlyList<(string Name, string Value)> Headers, byte[] Body)
    {
        /// <summary>All values of a header, joined like HttpClient does; "" when absent.</summary>
        public string Header(string name) =>
            string.Join(", ", Headers.Where(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value));

        public string Text => Encoding.UTF8.GetString(Body);
    }

    public static async Task<Response> SendAsync(Uri server, string method, string target,
        IEnumerable<(string Name, string Value)> headerLines, byte[]? body = null, string? contentType = null)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        await using var stream = tcp.GetStream();
        var head = new StringBuilder();
        head.Append($"{method} {target} HTTP/1.1\r\nHost: {server.Authority}\r\nConnection: close\r\n");
        foreach (var (name, value) in headerLines) head.Append($"{name}: {value}\r\n");
        if (contentType is not null) head.Append($"Content-Type: {contentType}\r\n");
        head.Append($"Content-Length: {body?.Length ?? 0}\r\n\r\n");
        await stream.WriteAsync(Encoding.Latin1.GetBytes(head.ToString()));
        if (body is not null) await stream.WriteAsync(body);

        using var received = new MemoryStream();
        await stream.CopyToAsync(received);
        return Parse(received.ToArray(), method == "HEAD");
    }

    private static Response Parse(byte[] raw, bool isHead)
    {
        var end = raw.AsSpan().IndexOf("\r\n\r\n"u8);
        if (end < 0) throw new InvalidDataException("incomplete HTTP response");
        var lines = Encoding.Latin1.GetString(raw, 0, end).Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = new List<(string, string)>();
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':');
            headers.Add((line[..colon], line[(colon + 1)..].Trim()));
        }
        var body = raw[(end + 4)..];
        var chunked = headers.Any(h => h.Item1.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)
                                       && h.Item2.Contains("chunked", StringComparison.OrdinalIgnoreCase));
        if (chunked && !isHead) body = Dechunk(body);
        return new Response(status, headers, body);
    }

    private static byte[] Dechunk(byte[] chunked)
    {
        using var output = new MemoryStream();
        var position = 0;
        while (true)
        {
            var lineEnd = chunked.AsSpan(position).IndexOf("\r\n"u8) + position;
            var sizeText = Encoding.Latin1.GetString(chunked, position, lineEnd - position).Split(';')[0];
            var size = Convert.ToInt32(sizeText, 16);
            if (size == 0) return output.ToArray();
            output.Write(chunked, lineEnd + 2, size);
            position = lineEnd + 2 + size + 2;
        }
    }
}
