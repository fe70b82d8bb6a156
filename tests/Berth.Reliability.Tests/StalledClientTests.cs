using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Berth.Reliability.Tests;

/// <summary>Clients that stall (slowloris) are disconnected, and the server keeps serving everyone else.</summary>
public sealed class StalledClientTests
{
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(2);

    [Theory]
    [Trait("Category", "Reliability")]
    [InlineData("GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Slow: ")]
    [InlineData("POST /v2/slow/blobs/uploads/?digest=sha256:0000000000000000000000000000000000000000000000000000000000000000 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\nabc")]
    public async Task StalledRequest_IsDisconnected_AndOthersAreServed(string partialRequest)
    {
        await using var server = await InProcessBerth.StartAsync(server: options => options with { LogLevel = LogLevel.Critical, ClientStallTimeout = Stall });
        using var slow = new TcpClient();
        await slow.ConnectAsync(server.Address.Host, server.Address.Port);
        var stream = slow.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(partialRequest));

        using var http = new HttpClient { BaseAddress = server.Address };
        using (var meanwhile = await http.GetAsync("/v2/"))
        {
            Assert.Equal(HttpStatusCode.OK, meanwhile.StatusCode);
        }

        // Kestrel's timer checks about once a second; allow for that and a loaded machine.
        var watch = Stopwatch.StartNew();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(Stall * 10);
        while (await stream.ReadAsync(buffer, timeout.Token) > 0)
        {
            // A 408 may be written before the close; keep reading until the server hangs up.
        }
        Assert.True(watch.Elapsed < Stall * 10, $"the stalled connection stayed open {watch.Elapsed}");
    }
}
