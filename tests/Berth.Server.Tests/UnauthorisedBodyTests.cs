using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Server.Limits;
using Berth.Server.Tests.Support;
using Xunit.Abstractions;
using static Berth.Server.Tests.Support.RegistryContent;

namespace Berth.Server.Tests;

/// <summary>
/// A refused request's body is not read: until a request is authorised the server accepts only a small body,
/// and a 401/403/429 closes the connection instead of draining what the client still sends. Authorised
/// uploads and manifests still get their full size.
/// </summary>
public sealed class UnauthorisedBodyTests(ITestOutputHelper output)
{
    private const long Announced = 1L << 30;

    [Theory]
    [InlineData(null, 401)]
    [InlineData("rita", 403)]
    public async Task LargeBodyToARefusedUpload_IsAnsweredQuickly_AndNotRead(string? user, int expectedStatus)
    {
        await using var registry = await AuthScenario.StartAsync();
        var credentials = user is null ? null : AuthScenario.Basic(AuthScenario.Rita);
        var outcome = await SendLargeBodyAsync(registry.Address, $"/v2/team/app/blobs/uploads/?digest={Sha256([1])}", credentials);

        output.WriteLine($"{expectedStatus}: answered after {outcome.ResponseAfter.TotalMilliseconds:0} ms, {outcome.BytesSent} of {Announced} bytes accepted");
        Assert.Equal(expectedStatus, outcome.Status);
        Assert.Contains("close", outcome.Connection, StringComparison.OrdinalIgnoreCase);
        Assert.True(outcome.ResponseAfter < TimeSpan.FromSeconds(5), $"answered after {outcome.ResponseAfter}");
        // What the sender got rid of is bounded by socket buffers, not by the 1 GiB announced.
        Assert.True(outcome.BytesSent < 64L << 20, $"{outcome.BytesSent} bytes were accepted by the server");
    }

    [Fact]
    public async Task LargeBodyOverTheRateLimit_IsAnswered429_AndNotRead()
    {
        await using var registry = await InProcessBerth.StartAsync(server: options => options with
        {
            RateLimits = new RateLimitOptions { PerClient = new RateLimit { RequestsPerSecond = 1, Burst = 1 } },
        });
        using (var first = await registry.Client.GetAsync("/v2/"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        var outcome = await SendLargeBodyAsync(registry.Address, $"/v2/team/app/blobs/uploads/?digest={Sha256([1])}", null);
        output.WriteLine($"429: answered after {outcome.ResponseAfter.TotalMilliseconds:0} ms, {outcome.BytesSent} of {Announced} bytes accepted");
        Assert.Equal(429, outcome.Status);
        Assert.Contains("close", outcome.Connection, StringComparison.OrdinalIgnoreCase);
        Assert.True(outcome.BytesSent < 64L << 20, $"{outcome.BytesSent} bytes were accepted by the server");
    }

    [Fact]
    public async Task AuthorisedRequests_StillSendLargeBlobsChunksAndManifests()
    {
        await using var registry = await AuthScenario.StartAsync();
        using var alice = registry.ClientAs(AuthScenario.Basic(AuthScenario.Alice));
        // Monolithic, one big chunk, and a closing PUT with a body: all far over the pre-authorisation limit.
        var monolithic = RandomBytes(3 << 20, seed: 1);
        var digest = await alice.PushBlobAsync("team/app", monolithic);
        await alice.AssertBlobAsync("team/app", digest, monolithic);

        var chunked = RandomBytes(2 << 20, seed: 2);
        var location = await alice.StartUploadAsync("team/app");
        using (var patch = await alice.PatchChunkAsync(location, chunked[..(1 << 20)], $"0-{(1 << 20) - 1}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            location = SpecHttp.LocationOf(patch);
        }
        using (var put = await alice.PutUploadAsync(location, Sha256(chunked), chunked[(1 << 20)..], $"{1 << 20}-{chunked.Length - 1}"))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }
        await alice.AssertBlobAsync("team/app", Sha256(chunked), chunked);

        // A 300 KiB manifest (large annotations) is still accepted; only the registry's 4 MiB limit applies.
        var manifest = JsonNode.Parse(await alice.PushImageContentAsync("team/app", seed: 3))!.AsObject();
        manifest["annotations"] = new JsonObject { ["org.example.padding"] = new string('p', 300 * 1024) };
        var body = Encoding.UTF8.GetBytes(manifest.ToJsonString());
        using (var pushed = await alice.PutManifestAsync("team/app", "big", body))
        {
            Assert.Equal(HttpStatusCode.Created, pushed.StatusCode);
        }
        // Over the registry's limit: its own 413 in the spec's format, not a server-level refusal.
        manifest["annotations"] = new JsonObject { ["org.example.padding"] = new string('p', 5 * 1024 * 1024) };
        using (var tooBig = await alice.PutManifestAsync("team/app", "huge", Encoding.UTF8.GetBytes(manifest.ToJsonString())))
        {
            await tooBig.AssertErrorAsync(HttpStatusCode.RequestEntityTooLarge, "SIZE_INVALID");
        }
    }

    [Fact]
    public async Task RefusedManifestPush_WithALargeBody_IsNotRead()
    {
        await using var registry = await AuthScenario.StartAsync();
        var outcome = await SendLargeBodyAsync(registry.Address, "/v2/team/app/manifests/v1", AuthScenario.Basic(AuthScenario.Rita));
        Assert.Equal(403, outcome.Status);
        Assert.True(outcome.BytesSent < 64L << 20, $"{outcome.BytesSent} bytes were accepted by the server");
    }

    private sealed record Outcome(int Status, string Connection, TimeSpan ResponseAfter, long BytesSent);

    /// <summary>
    /// Announces a 1 GiB body and keeps sending it until the server stops taking bytes (it closed the
    /// connection) or 20 seconds pass, counting what the socket accepted.
    /// </summary>
    private static async Task<Outcome> SendLargeBodyAsync(Uri server, string target, AuthenticationHeaderValue? credentials)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        var stream = tcp.GetStream();
        var head = new StringBuilder($"POST {target} HTTP/1.1\r\nHost: {server.Authority}\r\n");
        if (target.Contains("/manifests/", StringComparison.Ordinal)) head.Append("Content-Type: application/vnd.oci.image.manifest.v1+json\r\n");
        else head.Append("Content-Type: application/octet-stream\r\n");
        if (credentials is not null) head.Append($"Authorization: {credentials}\r\n");
        head.Append($"Content-Length: {Announced}\r\n\r\n");
        if (target.Contains("/manifests/", StringComparison.Ordinal)) head.Replace("POST ", "PUT ", 0, 5);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));

        var started = Stopwatch.StartNew();
        var responseTask = ReadResponseHeadAsync(stream);
        var sent = 0L;
        var chunk = new byte[64 * 1024];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            while (sent < Announced && !deadline.IsCancellationRequested)
            {
                await stream.WriteAsync(chunk, deadline.Token);
                sent += chunk.Length;
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
        {
            // The server closed the connection (or stopped reading and the deadline passed).
        }
        var (status, connection, answeredAfter) = await responseTask.WaitAsync(TimeSpan.FromSeconds(30));
        return new Outcome(status, connection, answeredAfter, sent);

        async Task<(int, string, TimeSpan)> ReadResponseHeadAsync(NetworkStream network)
        {
            var received = new List<byte>();
            var buffer = new byte[4096];
            while (true)
            {
                var read = await network.ReadAsync(buffer);
                if (read == 0) throw new IOException("connection closed before a response");
                received.AddRange(buffer.AsSpan(0, read));
                var text = Encoding.Latin1.GetString([.. received]);
                var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (end < 0) continue;
                var lines = text[..end].Split("\r\n");
                var code = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
                var close = lines.Skip(1).Where(l => l.StartsWith("Connection:", StringComparison.OrdinalIgnoreCase))
                    .Select(l => l["Connection:".Length..].Trim()).FirstOrDefault() ?? "";
                return (code, close, started.Elapsed);
            }
        }
    }
}
