using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Server.Tests.Support;
using Xunit.Abstractions;
using static Berth.Server.Tests.Support.ConditionalScenario;

namespace Berth.Server.Tests.Conditional;

/// <summary>
/// Cases 56–60 of section 6 of the conditional-requests design reference: the check and the write are
/// one atomic step, so racing writers never lose an update. Each race runs against one server, and
/// against two servers opened on the same data folder — in this process, and as two real
/// <c>berth serve</c> processes — with the clients spread over both (case 60: nodes sharing one store
/// must still produce exactly one winner, and no update may be lost).
/// </summary>
public sealed class ConcurrencyTests(ProcessClusterFixture sharedProcesses, ITestOutputHelper output) : IClassFixture<ProcessClusterFixture>
{
    private const string SignatureType = "application/vnd.example.signature.v1";

    /// <summary>One server; two servers in this process on one data folder; two <c>berth serve</c> processes on one data folder.</summary>
    public static TheoryData<int, bool> Topologies => new() { { 1, false }, { 2, false }, { 2, true } };

    /// <summary>A cluster for one test: its own in-process servers, or the class's shared pair of processes.</summary>
    private sealed class Lease(RegistryCluster cluster, bool owned) : IAsyncDisposable
    {
        public RegistryCluster Cluster { get; } = cluster;

        public ValueTask DisposeAsync() => owned ? Cluster.DisposeAsync() : ValueTask.CompletedTask;
    }

    private async Task<Lease> ClusterAsync(int servers, bool processes) => processes
        ? new Lease(await sharedProcesses.GetAsync(), owned: false)
        : new Lease(await RegistryCluster.StartAsync(servers), owned: true);

    /// <summary>Distinct per topology, since the process cluster is shared by the class.</summary>
    private static string Repository(string name, int servers, bool processes) => $"race/{name}-{servers}{(processes ? "-processes" : "")}";

    private sealed record Attempt(string Digest, HttpStatusCode Status, string ETag);

    private static List<HttpClient> Clients(RegistryCluster cluster, int count) =>
        Enumerable.Range(0, count).Select(cluster.NewClient).ToList();

    private static async Task<string> ReferrersOfAsync(HttpClient client, string repository, string subject)
    {
        using var response = await client.GetAsync($"/v2/{repository}/referrers/{subject}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task<List<(string? From, string? To)>> HistoryAsync(HttpClient client, string repository, string tag)
    {
        using var response = await client.GetAsync($"/v2/{repository}/_berth/history/{tag}?n=1000");
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.GetProperty("moves").EnumerateArray()
            .Select(m => (m.GetProperty("from").GetString(), m.GetProperty("to").GetString())).ToList();
    }

    [Theory]
    [MemberData(nameof(Topologies))]
    public async Task Case56_ThirtyTwoClientsRacingOneIfMatch_ExactlyOneWins(int servers, bool processes)
    {
        await using var lease = await ClusterAsync(servers, processes);
        var cluster = lease.Cluster;
        var s = await CreateAsync(cluster.NewClient(0), Repository("ifmatch", servers, processes));
        // Every racer's manifest is a referrer of D1, so a loser that got linked would show up in the referrers list.
        var manifests = Enumerable.Range(0, 32).Select(i => s.Manifest(1000 + i, subject: s.D1, artifactType: SignatureType)).ToList();
        var clients = Clients(cluster, 32);

        var attempts = await Race.RunAsync(clients, async (client, i) =>
        {
            using var response = await client.SendAsync(HttpMethod.Put, s.ManifestPath(Tag), [("If-Match", Quoted(s.D1))],
                ManifestContent(manifests[i]));
            return new Attempt(Sha256(manifests[i]), response.StatusCode, response.Header("ETag"));
        });

        var winner = Assert.Single(attempts, a => a.Status == HttpStatusCode.Created);
        var losers = attempts.Where(a => a != winner).ToList();
        Assert.Equal(31, losers.Count(a => a.Status == HttpStatusCode.PreconditionFailed));
        // The only change that can fail "If-Match: D1" is the winner's, so every 412 names it.
        Assert.All(losers, a => Assert.Equal(Quoted(winner.Digest), a.ETag));

        foreach (var server in cluster.OneClientPerServer())
        {
            Assert.Equal(winner.Digest, await server.TagDigestAsync(s.Repository, Tag));
            foreach (var loser in losers)
            {
                using var byDigest = await server.GetAsync(s.ManifestPath(loser.Digest));
                Assert.Equal(HttpStatusCode.NotFound, byDigest.StatusCode);
            }
            using var referrers = JsonDocument.Parse(await ReferrersOfAsync(server, s.Repository, s.D1));
            var listed = Assert.Single(referrers.RootElement.GetProperty("manifests").EnumerateArray());
            Assert.Equal(winner.Digest, listed.GetProperty("digest").GetString());
        }
        Assert.Equal([(s.D1, winner.Digest), (null, s.D1)], await HistoryAsync(cluster.NewClient(0), s.Repository, Tag));
    }

    [Theory]
    [MemberData(nameof(Topologies))]
    public async Task Case57And60_ThirtyTwoClientsRacingIfNoneMatchStar_ExactlyOneCreates(int servers, bool processes)
    {
        await using var lease = await ClusterAsync(servers, processes);
        var cluster = lease.Cluster;
        // A brand-new repository as well as a new tag: creating the repository is part of the race.
        // Indexes with no children need no blobs, so nothing exists before the race.
        var repository = Repository("create-only", servers, processes);
        var indexes = Enumerable.Range(0, 32)
            .Select(i => Encoding.UTF8.GetBytes(
                $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.OciIndex}\",\"manifests\":[],\"annotations\":{{\"racer\":\"{i}\"}}}}"))
            .ToList();
        var clients = Clients(cluster, 32);

        var attempts = await Race.RunAsync(clients, async (client, i) =>
        {
            using var response = await client.SendAsync(HttpMethod.Put, $"/v2/{repository}/manifests/v1.0", [("If-None-Match", "*")],
                ManifestContent(indexes[i], MediaTypes.OciIndex));
            return new Attempt(Sha256(indexes[i]), response.StatusCode, response.Header("ETag"));
        });

        var winner = Assert.Single(attempts, a => a.Status == HttpStatusCode.Created);
        Assert.Equal(31, attempts.Count(a => a.Status == HttpStatusCode.PreconditionFailed));
        foreach (var server in cluster.OneClientPerServer())
        {
            Assert.Equal(winner.Digest, await server.TagDigestAsync(repository, "v1.0"));
            foreach (var loser in attempts.Where(a => a != winner))
            {
                using var byDigest = await server.GetAsync($"/v2/{repository}/manifests/{loser.Digest}");
                Assert.Equal(HttpStatusCode.NotFound, byDigest.StatusCode);
            }
            using var catalog = JsonDocument.Parse(await server.GetStringAsync("/v2/_catalog"));
            Assert.Single(catalog.RootElement.GetProperty("repositories").EnumerateArray(), r => r.GetString() == repository);
        }
        Assert.Equal([(null, winner.Digest)], await HistoryAsync(cluster.NewClient(0), repository, "v1.0"));
    }

    [Theory]
    [MemberData(nameof(Topologies))]
    public async Task Case58_SixteenClientsAppendingToAReferrersFallbackTag_LoseNothing(int servers, bool processes)
    {
        await using var lease = await ClusterAsync(servers, processes);
        var cluster = lease.Cluster;
        var s = await CreateAsync(cluster.NewClient(0), Repository("fallback", servers, processes));
        // distribution-spec "Referrers tag schema": <alg>-<hex> of the subject.
        var fallbackTag = s.D1.Replace(':', '-');
        var referrers = Enumerable.Range(0, 16).Select(i => s.Manifest(2000 + i, subject: s.D1, artifactType: SignatureType)).ToList();
        foreach (var referrer in referrers)
        {
            using var pushed = await s.PutAsync(Sha256(referrer), referrer);
            Assert.Equal(HttpStatusCode.Created, pushed.StatusCode);
        }
        // With two servers each client reads from one node and writes through the other.
        var readers = Clients(cluster, 16);
        var writers = Enumerable.Range(0, 16).Select(i => cluster.NewClient(i + servers - 1)).ToList();

        var attemptsPerClient = await Race.RunAsync(readers, (reader, i) =>
            AppendWithRetriesAsync(reader, writers[i], s.Repository, fallbackTag, referrers[i]));

        using var final = await cluster.NewClient(servers - 1).GetAsync(s.ManifestPath(fallbackTag));
        Assert.Equal(HttpStatusCode.OK, final.StatusCode);
        using var index = JsonDocument.Parse(await final.Content.ReadAsByteArrayAsync());
        var listed = index.RootElement.GetProperty("manifests").EnumerateArray().Select(d => d.GetProperty("digest").GetString()!).ToList();
        Assert.Equal(16, listed.Count);
        Assert.Equal(referrers.Select(Sha256).Order(), listed.Order());

        // No lost update: the tag's history is one unbroken chain of 16 writes, each from the previous one.
        var history = await HistoryAsync(cluster.NewClient(0), s.Repository, fallbackTag);
        Assert.Equal(16, history.Count);
        Assert.Null(history[^1].From);
        for (var k = 0; k < history.Count - 1; k++) Assert.Equal(history[k + 1].To, history[k].From);
        output.WriteLine($"{attemptsPerClient.Sum()} PUTs for 16 appends: [{string.Join(", ", attemptsPerClient)}]");
    }

    /// <summary>
    /// Use case 1 of the design doc (§4, §5.4 "RMW loop"): GET the fallback index (404 = empty), add our
    /// descriptor, PUT with If-Match: &lt;ETag&gt; (or If-None-Match: * after a 404), and on 412 re-read
    /// and retry. Returns the number of PUT attempts.
    /// </summary>
    private static async Task<int> AppendWithRetriesAsync(HttpClient reader, HttpClient writer, string repository, string tag, byte[] referrer)
    {
        var digest = Sha256(referrer);
        for (var attempt = 1; attempt <= 200; attempt++)
        {
            JsonObject index;
            (string, string) condition;
            using (var get = await reader.SendAsync(HttpMethod.Get, $"/v2/{repository}/manifests/{tag}",
                       [("Cache-Control", "no-cache"), ("Accept", MediaTypes.OciIndex)]))
            {
                if (get.StatusCode == HttpStatusCode.NotFound)
                {
                    index = new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = MediaTypes.OciIndex, ["manifests"] = new JsonArray() };
                    condition = ("If-None-Match", "*");
                }
                else
                {
                    Assert.Equal(HttpStatusCode.OK, get.StatusCode);
                    index = JsonNode.Parse(await get.Content.ReadAsByteArrayAsync())!.AsObject();
                    // Keep the ETag verbatim (design doc §5.4).
                    condition = ("If-Match", get.Header("ETag"));
                }
            }
            var manifests = index["manifests"]!.AsArray();
            if (manifests.Any(d => d!["digest"]!.GetValue<string>() == digest)) return attempt;
            var descriptor = Descriptor(MediaTypes.OciManifest, digest, referrer.Length);
            descriptor["artifactType"] = SignatureType;
            manifests.Add(descriptor);

            using var put = await writer.SendAsync(HttpMethod.Put, $"/v2/{repository}/manifests/{tag}", [condition],
                ManifestContent(Encoding.UTF8.GetBytes(index.ToJsonString()), MediaTypes.OciIndex));
            if (put.StatusCode == HttpStatusCode.Created) return attempt;
            Assert.Equal(HttpStatusCode.PreconditionFailed, put.StatusCode);
            await Task.Delay(Random.Shared.Next(1, 15)); // back off with jitter
        }
        throw new Xunit.Sdk.XunitException($"{digest} was not appended after 200 attempts");
    }

    [Theory]
    [MemberData(nameof(Topologies))]
    public async Task Case59_DeleteRacingPutWithTheSameIfMatch_ExactlyOneSucceeds(int servers, bool processes)
    {
        await using var lease = await ClusterAsync(servers, processes);
        var cluster = lease.Cluster;
        var s = await CreateAsync(cluster.NewClient(0), Repository("delete-put", servers, processes));
        var clients = Clients(cluster, 2);
        var observers = cluster.OneClientPerServer();
        var deletesWon = 0;
        for (var round = 0; round < 12; round++)
        {
            // Reset: t → D1 (creating it again if the delete won the previous round).
            using (var reset = await s.PutAsync(Tag, s.M1)) Assert.Equal(HttpStatusCode.Created, reset.StatusCode);

            // The two roles swap servers every round.
            var deleter = round % 2;
            var outcomes = await Race.RunAsync(clients, async (client, i) =>
            {
                using var response = i == deleter
                    ? await client.SendAsync(HttpMethod.Delete, s.ManifestPath(Tag), [("If-Match", Quoted(s.D1))])
                    : await client.SendAsync(HttpMethod.Put, s.ManifestPath(Tag), [("If-Match", Quoted(s.D1))], ManifestContent(s.M2));
                return response.StatusCode;
            });
            var results = deleter == 0 ? outcomes : [outcomes[1], outcomes[0]];

            var deleted = results[0] == HttpStatusCode.Accepted;
            var moved = results[1] == HttpStatusCode.Created;
            Assert.True(deleted ^ moved, $"round {round}: DELETE {results[0]}, PUT {results[1]}");
            if (deleted) deletesWon++;
            // The loser gets 412: a PUT with If-Match on a now-missing tag is 412 too.
            Assert.Equal(HttpStatusCode.PreconditionFailed, deleted ? results[1] : results[0]);
            foreach (var server in observers)
            {
                Assert.Equal(deleted ? null : s.D2, await server.TagDigestAsync(s.Repository, Tag));
            }
        }
        output.WriteLine($"DELETE won {deletesWon} of 12 rounds, PUT {12 - deletesWon}");
    }
}
