using System.Net;
using System.Net.Sockets;
using System.Text;
using Berth.Registry;
using Berth.Reliability.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Berth.Reliability.Tests;

/// <summary>
/// Seeded random and mutated requests against the whole HTTP surface. Invariants: no 5xx other than an
/// honest 503/507, the server keeps answering, nothing is written outside the data folder, and content
/// the fuzzer never addresses stays exactly as it was.
/// </summary>
[Collection(MeasuresProcessMemory.Name)]
public sealed class HostileInputTests
{
    private static readonly string[] Methods = ["GET", "HEAD", "PUT", "POST", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND"];

    private static readonly string[] Names =
        ["fuzz", "fuzz/a", "fuzz/manifests", "fuzz/blobs/uploads", "Fuzz", "..", "%2e%2e", "fuzz/../etc", "fuzz%2Fx", "a//b", "-a", "a-",
         "fuzz/" + new string('a', 300), "fuzz/tags", "_catalog", ".", "fuzz/%00", "fuzz/\u00e9"];

    private static readonly string[] References =
        ["latest", "sha256:" + new string('0', 64), "sha256:abc", "sha512:" + new string('f', 128), "md5:1234", "..", "%2e%2e", "tag:with:colons",
         new string('t', 200), "", "sha256:" + new string('G', 64), "SHA256:" + new string('0', 64), "-tag", "_tag"];

    private static readonly string[] HeaderValues =
        ["", " ", "*", "\"x\"", "W/\"x\"", "\"unterminated", "bytes=0-", "bytes=-1", "bytes=9-1", "bytes=0-0,5-9", "0-99999999999999999999",
         "-5-10", "bytes */*", "application/vnd.oci.image.manifest.v1+json", "application/json; charset=utf-8", "Thu, 01 Jan 1970 00:00:00 GMT",
         "garbage\u0001", new string('a', 4000), "sha256:" + new string('0', 64), "99999999999999999999999"];

    private static readonly string[] Headers = ["If-Match", "If-None-Match", "If-Range", "Range", "Content-Range", "If-Modified-Since", "If-Unmodified-Since", "Content-Type", "Accept"];

    private static readonly string[] Queries =
        ["", "?n=5", "?n=-1", "?n=abc", "?n=99999999999", "?last=zzz", "?digest=sha256:" + new string('0', 64), "?digest=bogus", "?mount=x&from=..",
         "?mount=sha256:" + new string('0', 64) + "&from=fuzz", "?tag=a&tag=..", "?tag=" + new string('x', 300), "?digest-algorithm=md5", "?artifactType=%00",
         "?digest-algorithm=sha512", "?ns=x"];

    [Fact]
    [Trait("Category", "Reliability")]
    public async Task RandomRequests_NeverCrashOrLeakOrCorrupt()
    {
        var parent = Path.Combine(Path.GetTempPath(), "berth-fuzz-" + Guid.NewGuid().ToString("N"));
        var data = Path.Combine(parent, "data");
        Directory.CreateDirectory(parent);
        try
        {
            await using var server = await InProcessBerth.StartAsync(dataDirectory: data, server: options => options with { LogLevel = LogLevel.Critical });
            var http = server.Client;

            // Content the fuzzer never addresses: it must be byte-identical afterwards.
            var random = new Random(42);
            var shared = new byte[2048];
            random.NextBytes(shared);
            var protectedImage = ImageWriter.Compose("keep/safe", shared, random);
            await ImageWriter.PushBlobsAsync(http, protectedImage);
            Assert.Equal(HttpStatusCode.Created, await ImageWriter.PutManifestAsync(http, protectedImage, "stable"));
            var uploadIds = new List<string>();
            var statuses = new SortedDictionary<int, int>();

            var before = GC.GetTotalMemory(forceFullCollection: true);
            for (var i = 0; i < 3000; i++)
            {
                using var request = RandomRequest(random, uploadIds);
                HttpResponseMessage response;
                try
                {
                    response = await http.SendAsync(request);
                }
                catch (Exception e) when (e is HttpRequestException or UriFormatException or InvalidOperationException)
                {
                    // The client itself refused to send something (e.g. an invalid header); not the server's doing.
                    continue;
                }
                using (response)
                {
                    var status = (int)response.StatusCode;
                    statuses[status] = statuses.GetValueOrDefault(status) + 1;
                    Assert.True(status < 500 || status is 503 or 507,
                        $"{request.Method} {request.RequestUri} answered {status}: {await response.Content.ReadAsStringAsync()}");
                    if (response.Headers.Location is { } location && location.OriginalString.Contains("/blobs/uploads/"))
                    {
                        uploadIds.Add(location.OriginalString);
                    }
                }
            }

            // The run must have reached deep into the handlers, not just bounced off routing.
            var seen = string.Join(", ", statuses.Select(s => $"{s.Key}×{s.Value}"));
            Assert.True(new[] { 200, 202, 400, 404, 405, 416 }.All(statuses.ContainsKey), $"statuses seen: {seen}");

            await SendTruncatedAndSlowBodiesAsync(server.Address);

            using var health = await http.GetAsync("/v2/");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal(protectedImage.ManifestDigest, await ImageWriter.ResolveAsync(http, "keep/safe", "stable"));
            await ImageWriter.AssertCompleteAsync(http, "keep/safe", protectedImage.ManifestDigest);
            Assert.Equal(["data"], Directory.EnumerateFileSystemEntries(parent).Select(Path.GetFileName));
            var growth = GC.GetTotalMemory(forceFullCollection: true) - before;
            Assert.True(growth < 64 << 20, $"managed memory grew by {growth} bytes over the run");

            var integrity = await server.Registry.IntegrityChecker.CheckAsync(quarantine: false, CancellationToken.None);
            Assert.True(integrity.IsHealthy);
        }
        finally
        {
            Directory.Delete(parent, recursive: true);
        }
    }

    private static HttpRequestMessage RandomRequest(Random random, List<string> uploadIds)
    {
        var name = Pick(random, Names);
        var path = random.Next(9) switch
        {
            0 => $"/v2/{name}/manifests/{Pick(random, References)}",
            1 => $"/v2/{name}/blobs/{Pick(random, References)}",
            2 => $"/v2/{name}/blobs/uploads/",
            3 when uploadIds.Count > 0 => Pick(random, uploadIds.ToArray()),
            3 => $"/v2/{name}/blobs/uploads/{Guid.NewGuid():N}",
            4 => $"/v2/{name}/tags/list",
            5 => $"/v2/{name}/referrers/{Pick(random, References)}",
            6 => "/v2/_catalog",
            7 => $"/v2/{name}/_berth/history/{Pick(random, References)}",
            _ => "/" + Mutate(random, $"v2/{name}/manifests/latest"),
        } + Pick(random, Queries);
        var request = new HttpRequestMessage(new HttpMethod(Pick(random, Methods)), path);
        for (var h = random.Next(4); h > 0; h--)
        {
            var header = Pick(random, Headers);
            var value = Pick(random, HeaderValues);
            if (header is "Content-Type" or "Content-Range") continue; // set on the content below
            request.Headers.TryAddWithoutValidation(header, value);
        }
        if (request.Method != HttpMethod.Get && request.Method != HttpMethod.Head && random.Next(3) > 0)
        {
            var body = random.Next(3) switch
            {
                0 => Encoding.UTF8.GetBytes(Mutate(random, SampleManifest)),
                1 => RandomBytes(random, random.Next(0, 5000)),
                _ => [],
            };
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.TryAddWithoutValidation("Content-Type", Pick(random, HeaderValues));
            if (random.Next(2) == 0) request.Content.Headers.TryAddWithoutValidation("Content-Range", Pick(random, HeaderValues));
        }
        return request;
    }

    /// <summary>Bodies that stop early or trickle in: the server must neither hang nor break.</summary>
    private static async Task SendTruncatedAndSlowBodiesAsync(Uri address)
    {
        foreach (var (method, path) in new[] { ("PUT", "/v2/fuzz/manifests/cut"), ("POST", "/v2/fuzz/blobs/uploads/?digest=sha256:" + new string('0', 64)) })
        {
            using var client = new TcpClient();
            await client.ConnectAsync(address.Host, address.Port);
            var stream = client.GetStream();
            var head = $"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: 1000000\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head + "{\"schemaVersion\":"));
            await Task.Delay(50);
            client.Close(); // truncated: promised a megabyte, sent a few bytes
        }
    }

    private const string SampleManifest =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\"," +
        "\"digest\":\"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\",\"size\":2},\"layers\":[],\"subject\":{\"mediaType\":" +
        "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:0000000000000000000000000000000000000000000000000000000000000000\",\"size\":1}}";

    private static string Mutate(Random random, string text)
    {
        var chars = text.ToCharArray().ToList();
        for (var m = random.Next(1, 6); m > 0 && chars.Count > 0; m--)
        {
            var at = random.Next(chars.Count);
            switch (random.Next(3))
            {
                case 0: chars.RemoveAt(at); break;
                case 1: chars.Insert(at, (char)random.Next(32, 127)); break;
                default: chars[at] = "{}[]\":,/.%\\0"[random.Next(12)]; break;
            }
        }
        return new string(chars.ToArray());
    }

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}

/// <summary>
/// The hostile-input test measures the managed memory of the whole test process, so it runs alone, after
/// the other classes (which push and collect in parallel and would be counted as its growth).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasuresProcessMemory
{
    public const string Name = "measures process memory";
}
