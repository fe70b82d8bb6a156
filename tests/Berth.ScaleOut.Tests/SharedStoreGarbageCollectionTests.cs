using System.Net;
using System.Text.Json;
using Berth.ScaleOut.Tests.Support;
using Xunit.Abstractions;

namespace Berth.ScaleOut.Tests;

/// <summary>
/// <c>berth gc</c> run against the shared PostgreSQL database and bucket while the three replicas keep
/// taking pushes: the grace period protects blobs pushed moments before their manifest, so no tagged
/// image breaks, while garbage older than the grace period does go.
/// </summary>
[Collection(ReplicaCollection.Name)]
public sealed class SharedStoreGarbageCollectionTests(ReplicaCluster cluster, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(3);

    public Task InitializeAsync() => cluster.EnsureHealthyAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task GcWhileReplicasPush_BreaksNoImage_AndRemovesOldGarbage()
    {
        const string garbageRepository = "gc/garbage";
        // Garbage: blobs never referenced, and an image whose manifest was deleted, on different replicas.
        var orphans = Enumerable.Range(0, 4).Select(i => OciContent.RandomBytes(5000 + i)).ToArray();
        for (var i = 0; i < orphans.Length; i++) Assert.Equal(HttpStatusCode.Created, await RegistryCalls.PushBlobAsync(cluster.Client(i), garbageRepository, orphans[i]));
        var deleted = TestImage.FromSeed(50_000, layerSize: 7000);
        Assert.Equal(HttpStatusCode.Created, await RegistryCalls.PushBlobsAsync(cluster.Client(1), garbageRepository, deleted));
        Assert.Equal(HttpStatusCode.Created, await RegistryCalls.PutManifestStatusAsync(cluster.Client(1), garbageRepository, deleted.Digest, deleted.Manifest));
        using (var delete = await cluster.Client(2).DeleteAsync($"/v2/{garbageRepository}/manifests/{deleted.Digest}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }
        // Let the garbage age past the grace period.
        await Task.Delay(Grace + TimeSpan.FromMilliseconds(500));

        var load = new PushLoad(cluster, "gc/live");
        using var stop = new CancellationTokenSource();
        var pushing = load.RunAsync(6, stop.Token);
        var deletedBlobs = new HashSet<string>();
        var runs = 0;
        using var gcData = new TemporaryFolder("berth-gc");
        // Collections back to back for as long as a few of them take, every one while the replicas push.
        var collecting = System.Diagnostics.Stopwatch.StartNew();
        while (collecting.Elapsed < TimeSpan.FromSeconds(6) || runs < 2)
        {
            var (exitCode, stdout, stderr) = await BerthCommand.RunAsync(cluster.Environment,
                "gc", "--data", gcData.Path, "--grace-period", Grace.ToString("c"), "--output", "json");
            Assert.True(exitCode == 0, $"berth gc exited {exitCode}: {stdout}{stderr}");
            using var report = JsonDocument.Parse(stdout);
            foreach (var blob in report.RootElement.GetProperty("BlobsDeleted").EnumerateArray()) deletedBlobs.Add(blob.GetString()!);
            runs++;
        }
        await stop.CancelAsync();
        await pushing;

        var attempts = load.Attempts;
        output.WriteLine($"{runs} collections deleted {deletedBlobs.Count} blobs while {attempts.Count} pushes ran " +
                         $"({attempts.Count(a => a.Acknowledged)} acknowledged, longest {attempts.Max(a => a.Duration).TotalMilliseconds:F0} ms)");
        // A push may only lose its blobs if it took longer than the grace period; none here did.
        Assert.All(attempts.Where(a => a.Duration < Grace), a => Assert.True(a.Acknowledged,
            $"{a.Repository}:{a.Tag} on replica {a.Replica} failed in {a.Duration.TotalMilliseconds:F0} ms: {(int?)a.RefusedWith} {a.RefusalBody}"));

        // 0 broken images: every tag pulls completely, from every replica in turn.
        var broken = new List<string>();
        var checkedTags = 0;
        foreach (var repository in load.Repositories(6))
        {
            foreach (var tag in await RegistryCalls.TagsAsync(cluster.Client(0), repository))
            {
                var client = cluster.Client(checkedTags++);
                try
                {
                    var read = await RegistryCalls.GetManifestAsync(client, repository, tag);
                    Assert.Equal(HttpStatusCode.OK, read.Status);
                    await RegistryCalls.AssertCompleteAsync(client, repository, read.Digest!);
                }
                catch (Xunit.Sdk.XunitException e)
                {
                    broken.Add($"{repository}:{tag}: {e.Message}");
                }
            }
        }
        output.WriteLine($"{checkedTags} tagged images checked, {broken.Count} broken");
        Assert.Equal(attempts.Count(a => a.Acknowledged), checkedTags);
        Assert.Empty(broken);

        // The old garbage is gone from the store; the collection did real work.
        var garbage = orphans.Select(Sha256).Concat(deleted.Blobs.Select(b => b.Digest)).ToList();
        Assert.All(garbage, digest => Assert.Contains(digest, deletedBlobs));
        foreach (var digest in garbage)
        {
            using var head = new HttpRequestMessage(HttpMethod.Head, $"/v2/{garbageRepository}/blobs/{digest}");
            Assert.Equal(HttpStatusCode.NotFound, (await cluster.Client(0).SendAsync(head)).StatusCode);
        }
    }
}
