using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Client.Tests.Support;
using Berth.Oci.Manifests;
using Xunit.Abstractions;

namespace Berth.Client.Tests;

/// <summary>
/// The side-by-side check of issue 3: 32 writers append their entry to one shared index with the
/// read-modify-write loop of the spec's referrers fallback (GET, then PUT with If-Match or
/// If-None-Match: *, retry on 412), in plain HTTP. Berth ends with all 32 entries; CNCF Distribution
/// ignores the preconditions, never answers 412, and racing writers overwrite one another.
/// </summary>
public sealed class SideBySideLostUpdateTests(BerthRegistryFixture berth, DistributionRegistryFixture distribution, ITestOutputHelper output)
    : IClassFixture<BerthRegistryFixture>, IClassFixture<DistributionRegistryFixture>
{
    private const int Writers = 32;

    [Fact]
    public async Task Berth_LosesNoUpdate_WhenThirtyTwoWritersRace()
    {
        var (entries, preconditionFailures) = await RaceAsync(berth.Host);
        output.WriteLine($"Berth: {entries}/{Writers} entries kept, {preconditionFailures} lost races retried after 412");
        Assert.Equal(Writers, entries);
    }

    [Fact]
    public async Task Distribution_IgnoresPreconditions_SoRacingWritersOverwriteEachOther()
    {
        var (entries, preconditionFailures) = await RaceAsync(distribution.Host);
        output.WriteLine($"CNCF Distribution: {entries}/{Writers} entries kept, {preconditionFailures} answers of 412");
        // Deterministic part: the preconditions were never evaluated. How many updates were lost
        // depends on timing, which is why clients must not rely on a registry without the signal.
        Assert.Equal(0, preconditionFailures);
        Assert.InRange(entries, 1, Writers);
    }

    private static async Task<(int Entries, int PreconditionFailures)> RaceAsync(string host)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://{host}/") };
        var repository = "race/" + Guid.NewGuid().ToString("N")[..10];
        var children = new List<JsonObject>();
        await PushBlobAsync(http, repository, EmptyJson);
        for (var i = 0; i < Writers; i++)
        {
            var manifest = Bytes(ImageManifest(OciContent.Descriptor(MediaTypes.OciEmpty, EmptyJson), [])
                .With(annotations: new Dictionary<string, string> { ["writer"] = $"{i}" }));
            var digest = Sha256(manifest);
            using var put = await PutAsync(http, repository, digest, manifest, MediaTypes.OciManifest, null);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            children.Add(OciContent.Descriptor(MediaTypes.OciManifest, manifest));
        }

        var failures = 0;
        await Task.WhenAll(children.Select(child => Task.Run(async () =>
        {
            var random = new Random(child["digest"]!.GetValue<string>().GetHashCode());
            for (var attempt = 0; attempt < 200; attempt++)
            {
                var (index, etag) = await ReadIndexAsync(http, repository);
                var entries = index["manifests"]!.AsArray();
                if (entries.Any(e => e!["digest"]!.GetValue<string>() == child["digest"]!.GetValue<string>())) return;
                entries.Add(child.DeepClone());
                using var put = await PutAsync(http, repository, "shared", Encoding.UTF8.GetBytes(index.ToJsonString()), MediaTypes.OciIndex,
                    etag is null ? ("If-None-Match", "*") : ("If-Match", etag));
                if (put.StatusCode == HttpStatusCode.Created) return;
                if (put.StatusCode == HttpStatusCode.PreconditionFailed) Interlocked.Increment(ref failures);
                await Task.Delay(random.Next(1, 20));
            }
            throw new InvalidOperationException("a writer gave up after 200 attempts");
        })));

        var (final, _) = await ReadIndexAsync(http, repository);
        return (final["manifests"]!.AsArray().Count, failures);
    }

    private static async Task<(JsonObject Index, string? ETag)> ReadIndexAsync(HttpClient http, string repository)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repository}/manifests/shared");
            request.Headers.Accept.ParseAdd(MediaTypes.OciIndex);
            request.Headers.CacheControl = new CacheControlHeaderValue { NoCache = true };
            using var response = await http.SendAsync(request);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return (new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = MediaTypes.OciIndex, ["manifests"] = new JsonArray() }, null);
            }
            // CNCF Distribution answers 500 now and then while a tag is rewritten concurrently.
            if ((int)response.StatusCode >= 500 && attempt < 20)
            {
                await Task.Delay(10);
                continue;
            }
            response.EnsureSuccessStatusCode();
            var index = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
            return (index, response.Headers.ETag?.ToString());
        }
    }

    private static async Task<HttpResponseMessage> PutAsync(HttpClient http, string repository, string reference, byte[] body, string mediaType,
        (string Name, string Value)? condition)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/v2/{repository}/manifests/{reference}") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        if (condition is { } header) request.Headers.TryAddWithoutValidation(header.Name, header.Value);
        return await http.SendAsync(request);
    }

    private static async Task<string> PushBlobAsync(HttpClient http, string repository, byte[] content)
    {
        var digest = Sha256(content);
        using var start = await http.PostAsync($"/v2/{repository}/blobs/uploads/", null);
        var location = start.Headers.Location!.ToString();
        var separator = location.Contains('?') ? '&' : '?';
        using var put = await http.PutAsync($"{location}{separator}digest={digest}", new ByteArrayContent(content));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        return digest;
    }
}
