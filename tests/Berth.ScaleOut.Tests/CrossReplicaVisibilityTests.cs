using System.Net;
using Berth.ScaleOut.Tests.Support;

namespace Berth.ScaleOut.Tests;

/// <summary>
/// Read-your-writes across replicas: once one replica acknowledged a write, the very next read on any
/// other replica sees it — no manifest or tag-list cache may serve an older value.
/// </summary>
[Collection(ReplicaCollection.Name)]
public sealed class CrossReplicaVisibilityTests(ReplicaCluster cluster, Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private const int Rounds = 30;

    public Task InitializeAsync() => cluster.EnsureHealthyAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task AWriteOnOneReplica_IsSeenByTheNextReadOnAnother()
    {
        output.WriteLine($"PostgreSQL, Ceph RGW and three replicas started in {cluster.StartDuration.TotalSeconds:F1} s");
        const string repository = "scale/visibility";
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var images = Enumerable.Range(0, Rounds + 1).Select(i => TestImage.FromSeed(30_000 + i)).ToArray();
        foreach (var image in images) Assert.Equal(HttpStatusCode.Created, await RegistryCalls.PushBlobsAsync(cluster.Client(0), repository, image));
        // Every replica reads the tag and the tag list first, so whatever each caches is there to go stale.
        Assert.Equal(HttpStatusCode.Created, await RegistryCalls.PutManifestStatusAsync(cluster.Client(0), repository, "moving", images[0].Manifest));

        for (var round = 1; round <= Rounds; round++)
        {
            var writer = cluster.Client(round);
            var reader = cluster.Client(round + 1);
            var other = cluster.Client(round + 2);
            foreach (var client in cluster.Clients)
            {
                Assert.Equal(HttpStatusCode.OK, (await RegistryCalls.GetManifestAsync(client, repository, "moving")).Status);
                await RegistryCalls.TagsAsync(client, repository);
            }

            // A new tag: the next read on another replica finds it, by tag and in the tag list.
            var tag = $"r{round}";
            Assert.Equal(HttpStatusCode.Created, await RegistryCalls.PutManifestStatusAsync(writer, repository, tag, images[round].Manifest));
            var byTag = await RegistryCalls.GetManifestAsync(reader, repository, tag);
            Assert.True(byTag.Status == HttpStatusCode.OK, $"round {round}: new tag answered {(int)byTag.Status} on the next replica");
            Assert.Equal(images[round].Digest, byTag.Digest);
            Assert.Contains(tag, await RegistryCalls.TagsAsync(other, repository));

            // A tag moved with If-Match on the reader: the writer and the third replica see the move at once.
            var before = await RegistryCalls.GetManifestAsync(reader, repository, "moving");
            Assert.Equal(images[round - 1].Digest, before.Digest);
            Assert.Equal(HttpStatusCode.Created, await RegistryCalls.PutManifestStatusAsync(reader, repository, "moving", images[round].Manifest,
                headers: headers => headers.IfMatch.Add(before.ETag!)));
            Assert.Equal(images[round].Digest, (await RegistryCalls.GetManifestAsync(other, repository, "moving")).Digest);
            Assert.Equal(images[round].Digest, (await RegistryCalls.GetManifestAsync(writer, repository, "moving")).Digest);
            // And the old entity tag no longer matches anywhere.
            Assert.Equal(HttpStatusCode.PreconditionFailed, await RegistryCalls.PutManifestStatusAsync(other, repository, "moving", images[round - 1].Manifest,
                headers: headers => headers.IfMatch.Add(before.ETag!)));
        }
        output.WriteLine($"{Rounds} rounds of write-then-read across replicas in {clock.ElapsedMilliseconds} ms");
        foreach (var client in cluster.Clients)
        {
            Assert.Equal(Enumerable.Range(1, Rounds).Select(r => $"r{r}").Append("moving").Order(StringComparer.Ordinal),
                (await RegistryCalls.TagsAsync(client, repository)).Order(StringComparer.Ordinal));
        }
    }
}
