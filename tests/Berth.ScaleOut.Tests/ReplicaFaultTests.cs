using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Berth.ScaleOut.Tests.Support;
using Xunit.Abstractions;

namespace Berth.ScaleOut.Tests;

/// <summary>
/// What a deployment of three replicas does when one of its parts fails: a replica killed, PostgreSQL
/// stopped, the object store gone. Acknowledged writes survive, failures are clean OCI errors, and
/// service comes back without restarting anything. Each test leaves the cluster as it found it.
/// </summary>
[Collection(ReplicaCollection.Name)]
public sealed class ReplicaFaultTests(ReplicaCluster cluster, ITestOutputHelper output) : IAsyncLifetime
{
    private const int Clients = 6;

    public Task InitializeAsync() => cluster.EnsureHealthyAsync();

    // A failed test must not leave the next one without PostgreSQL, the gateway or a replica.
    public Task DisposeAsync() => cluster.EnsureHealthyAsync();

    [Fact]
    public async Task AReplicaKilledMidPush_TheOthersKeepServing_AndEveryAcknowledgedPushIsIntact()
    {
        var load = new PushLoad(cluster, "fault/kill");
        using var stop = new CancellationTokenSource();
        var pushing = load.RunAsync(Clients, stop.Token);
        await load.WaitForAcknowledgedAsync(6, TimeSpan.FromMilliseconds(300));
        var killedAt = load.Now;
        cluster.Replicas[2].Kill();
        await Task.Delay(2500);
        await stop.CancelAsync();
        await pushing;

        var attempts = load.Attempts;
        var afterKill = attempts.Where(a => a.StartedAt > killedAt + TimeSpan.FromMilliseconds(200)).ToList();
        output.WriteLine($"{attempts.Count} pushes: {attempts.Count(a => a.Acknowledged)} acknowledged, " +
                         $"{attempts.Count(a => a.ConnectionFailed)} to the killed replica failed; after the kill replicas 0 and 1 acknowledged " +
                         $"{afterKill.Count(a => a.Acknowledged && a.Replica != 2)}");
        // The survivors kept acknowledging pushes after the kill, and refused none.
        foreach (var replica in new[] { 0, 1 })
        {
            Assert.Contains(afterKill, a => a.Replica == replica && a.Acknowledged);
            var refused = afterKill.Where(a => a.Replica == replica && !a.Acknowledged).ToList();
            Assert.True(refused.Count == 0, $"replica {replica} failed {refused.Count} pushes after the kill, e.g. {refused.FirstOrDefault()?.RefusedWith} {refused.FirstOrDefault()?.RefusalBody}\n{cluster.Logs()}");
        }
        Assert.Contains(afterKill, a => a.Replica == 2 && a.ConnectionFailed);

        // Every acknowledged push is intact on the survivors, then on the killed replica started again.
        var acknowledged = attempts.Where(a => a.Acknowledged).ToList();
        await AssertIntactAsync(acknowledged, cluster.Client(0));
        await cluster.EnsureHealthyAsync();
        await AssertIntactAsync(acknowledged, cluster.Client(2));
        // What the killed replica had half-done is either all there or not visible at all.
        await AssertEveryTagPullsAsync(load.Repositories(Clients), cluster.Client(1));
    }

    [Fact]
    public async Task PostgreSqlStoppedForTenSeconds_Answers503_WritesNothingHalf_AndResumesByItself()
    {
        const string repository = "fault/postgres";
        // Blobs for the manifests tried during the outage are pushed before it, so the manifest PUT is what fails.
        var before = Enumerable.Range(0, 6).Select(i => TestImage.FromSeed(40_000 + i)).ToArray();
        var during = Enumerable.Range(0, 12).Select(i => TestImage.FromSeed(41_000 + i)).ToArray();
        await Task.WhenAll(before.Concat(during).Select(async (image, i) =>
            Assert.Equal(HttpStatusCode.Created, await RegistryCalls.PushBlobsAsync(cluster.Client(i), repository, image))));
        for (var i = 0; i < before.Length; i++)
        {
            Assert.Equal(HttpStatusCode.Created, await RegistryCalls.PutManifestStatusAsync(cluster.Client(i), repository, $"before{i}", before[i].Manifest));
        }
        // Warm every replica's caches and connection pools, so the outage hits live connections.
        foreach (var client in cluster.Clients) Assert.Contains("before0", await RegistryCalls.TagsAsync(client, repository));
        // Pushes in flight when PostgreSQL goes, and all through the outage.
        var load = new PushLoad(cluster, "fault/postgres-load");
        using var stopLoad = new CancellationTokenSource();
        var pushing = load.RunAsync(3, stopLoad.Token);
        await load.WaitForAcknowledgedAsync(3, TimeSpan.FromMilliseconds(200));

        await cluster.Postgres.StopAsync(immediate: true);
        var outage = Stopwatch.StartNew();
        var answers = new List<(string Request, HttpStatusCode Status)>();
        var newBlob = OciContent.RandomBytes(3000);
        for (var round = 0; outage.Elapsed < TimeSpan.FromSeconds(10); round++)
        {
            var replica = round % 3;
            var client = cluster.Client(round);
            var image = during[round % during.Length];
            await RecordAsync($"PUT manifest during{round} on {replica}", () => RegistryCalls.PutManifestAsync(client, repository, $"during{round}", image.Manifest));
            await RecordAsync($"GET manifest by tag on {replica}", () => client.GetAsync($"/v2/{repository}/manifests/before{round % before.Length}"));
            await RecordAsync($"GET tags/list on {replica}", () => client.GetAsync($"/v2/{repository}/tags/list"));
            await RecordAsync($"POST blob on {replica}", () => client.PostAsync($"/v2/{repository}/blobs/uploads/?digest={Sha256(newBlob)}", new ByteArrayContent(newBlob)));
            await Task.Delay(50);
        }
        output.WriteLine($"{answers.Count} requests during the 10 s outage: {string.Join(", ", answers.GroupBy(a => a.Status).Select(g => $"{g.Count()} × {(int)g.Key}"))}");
        await stopLoad.CancelAsync();
        await pushing;

        await cluster.Postgres.StartAsync();
        var restarted = Stopwatch.StartNew();
        // No replica is restarted: each must find PostgreSQL again on its own.
        foreach (var client in cluster.Clients) await RegistryCalls.WaitUntilServingAsync(client, TimeSpan.FromSeconds(30));
        output.WriteLine($"all replicas serving again {restarted.ElapsedMilliseconds} ms after PostgreSQL started");
        foreach (var replica in cluster.Replicas) Assert.False(replica.HasExited, cluster.Logs());

        // Service is back for writes and reads on every replica, and nothing tried during the outage exists.
        for (var i = 0; i < ReplicaCluster.ReplicaCount; i++)
        {
            var client = cluster.Client(i);
            Assert.Equal(HttpStatusCode.Created, await RegistryCalls.PutManifestStatusAsync(client, repository, $"after{i}", during[i].Manifest));
            var tags = await RegistryCalls.TagsAsync(client, repository);
            Assert.DoesNotContain(tags, tag => tag.StartsWith("during", StringComparison.Ordinal));
            Assert.Equal(before.Length, tags.Count(tag => tag.StartsWith("before", StringComparison.Ordinal)));
            for (var b = 0; b < before.Length; b++) await RegistryCalls.AssertCompleteAsync(client, repository, before[b].Digest);
            using var head = new HttpRequestMessage(HttpMethod.Head, $"/v2/{repository}/blobs/{Sha256(newBlob)}");
            Assert.Equal(HttpStatusCode.NotFound, (await client.SendAsync(head)).StatusCode);
        }
        // Pushes that ran into the outage: refused with a JSON 503, or acknowledged and intact; every tag pulls.
        var attempts = load.Attempts;
        output.WriteLine($"{attempts.Count} pushes around the outage: {attempts.Count(a => a.Acknowledged)} acknowledged, " +
                         $"refused: {string.Join(", ", attempts.Where(a => a.RefusedWith is not null).GroupBy(a => a.RefusedWith).Select(g => $"{g.Count()} × {(int)g.Key!}"))}");
        Assert.DoesNotContain(attempts, a => a.ConnectionFailed);
        foreach (var attempt in attempts.Where(a => a.RefusedWith is not null))
        {
            Assert.True(attempt.RefusedWith == HttpStatusCode.ServiceUnavailable && attempt.RefusalContentType == "application/json",
                $"{attempt.Tag}: {(int)attempt.RefusedWith!} {attempt.RefusalContentType} {attempt.RefusalBody}");
        }
        Assert.Contains(attempts, a => a.RefusedWith is not null);
        await AssertIntactAsync(attempts.Where(a => a.Acknowledged).ToList(), cluster.Client(2));
        await AssertEveryTagPullsAsync(load.Repositories(3), cluster.Client(0));

        // Manifests PUT during the outage (other than the three pushed after) are unknown by digest too.
        foreach (var image in during.Skip(ReplicaCluster.ReplicaCount))
        {
            Assert.Equal(HttpStatusCode.NotFound, (await RegistryCalls.GetManifestAsync(cluster.Client(1), repository, image.Digest)).Status);
        }

        async Task RecordAsync(string request, Func<Task<HttpResponseMessage>> send)
        {
            using var response = await send();
            answers.Add((request, response.StatusCode));
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable,
                $"{request} during the outage: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            await RegistryCalls.AssertJsonErrorAsync(response, request);
        }
    }

    [Fact]
    public async Task ObjectStoreKilledMidPush_PushesFailCleanly_AndNoManifestPointsAtAMissingBlob()
    {
        var load = new PushLoad(cluster, "fault/objects");
        using var stop = new CancellationTokenSource();
        var pushing = load.RunAsync(Clients, stop.Token);
        await load.WaitForAcknowledgedAsync(6, TimeSpan.FromMilliseconds(300));
        var killedAt = load.Now;
        cluster.Gateway.KillGateway();
        await Task.Delay(3000);
        await stop.CancelAsync();
        await pushing;
        var stoppedAt = load.Now;

        var attempts = load.Attempts;
        var refused = attempts.Where(a => a.RefusedWith is not null).ToList();
        output.WriteLine($"{attempts.Count} pushes: {attempts.Count(a => a.Acknowledged)} acknowledged, {refused.Count} refused " +
                         $"({string.Join(", ", refused.GroupBy(a => a.RefusedWith).Select(g => $"{g.Count()} × {(int)g.Key!}"))})");
        // No replica crashed or dropped a connection: each failure is an answer, a 5xx OCI error in JSON.
        foreach (var replica in cluster.Replicas) Assert.False(replica.HasExited, cluster.Logs());
        Assert.DoesNotContain(attempts, a => a.ConnectionFailed);
        Assert.Contains(refused, a => a.StartedAt > killedAt);
        foreach (var attempt in refused)
        {
            Assert.True((int)attempt.RefusedWith! >= 500, $"{attempt.Tag}: {(int)attempt.RefusedWith} {attempt.RefusalBody}");
            Assert.True(attempt.RefusalContentType == "application/json", $"{attempt.Tag}: {attempt.RefusalContentType} {attempt.RefusalBody}");
            Assert.True(JsonDocument.Parse(attempt.RefusalBody!).RootElement.GetProperty("errors").GetArrayLength() > 0, attempt.RefusalBody);
        }
        // Pushes with new content stop being acknowledged while the store is down (after requests in flight drain).
        Assert.DoesNotContain(attempts, a => a.Acknowledged && a.StartedAt > killedAt + TimeSpan.FromSeconds(1) && a.StartedAt + a.Duration < stoppedAt);

        await cluster.Gateway.RestartGatewayAsync();
        // Every acknowledged push, and everything any tag points at, pulls completely once the store is back.
        await AssertIntactAsync(attempts.Where(a => a.Acknowledged).ToList(), cluster.Client(1));
        await AssertEveryTagPullsAsync(load.Repositories(Clients), cluster.Client(2));
        // And pushes are acknowledged again without restarting a replica.
        var deadline = Stopwatch.StartNew();
        for (var replica = 0; replica < ReplicaCluster.ReplicaCount; replica++)
        {
            var image = TestImage.FromSeed(42_000 + replica);
            while (await RegistryCalls.PushBlobsAsync(cluster.Client(replica), "fault/objects/after", image) != HttpStatusCode.Created)
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"replica {replica} did not accept blobs again\n{cluster.Logs()}");
                await Task.Delay(200);
            }
            Assert.Equal(HttpStatusCode.Created, await RegistryCalls.PutManifestStatusAsync(cluster.Client(replica), "fault/objects/after", $"r{replica}", image.Manifest));
        }
    }

    private async Task AssertIntactAsync(IReadOnlyList<PushAttempt> acknowledged, HttpClient client)
    {
        Assert.NotEmpty(acknowledged);
        foreach (var push in acknowledged)
        {
            var read = await RegistryCalls.GetManifestAsync(client, push.Repository, push.Tag);
            Assert.True(read.Status == HttpStatusCode.OK, $"acknowledged {push.Repository}:{push.Tag} answers {(int)read.Status}");
            Assert.Equal(push.Image.Digest, read.Digest);
            await RegistryCalls.AssertCompleteAsync(client, push.Repository, push.Image.Digest);
        }
    }

    /// <summary>Pulls every tag of <paramref name="repositories"/>, including ones whose push was never acknowledged.</summary>
    private async Task AssertEveryTagPullsAsync(IEnumerable<string> repositories, HttpClient client)
    {
        var tags = 0;
        foreach (var repository in repositories)
        {
            foreach (var tag in await RegistryCalls.TagsAsync(client, repository))
            {
                var read = await RegistryCalls.GetManifestAsync(client, repository, tag);
                Assert.Equal(HttpStatusCode.OK, read.Status);
                await RegistryCalls.AssertCompleteAsync(client, repository, read.Digest!);
                tags++;
            }
        }
        output.WriteLine($"{tags} tags pull completely");
    }
}
