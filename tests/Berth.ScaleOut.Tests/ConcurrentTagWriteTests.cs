using System.Net;
using System.Text.Json.Nodes;
using Berth.ScaleOut.Tests.Support;
using Xunit.Abstractions;

namespace Berth.ScaleOut.Tests;

/// <summary>
/// Conditional writes (RFC 9110 §13.1.1 If-Match, §13.1.2 If-None-Match) to one tag from clients spread
/// over three replicas: the guarantee comes from PostgreSQL, so it must hold exactly as on one process.
/// </summary>
[Collection(ReplicaCollection.Name)]
public sealed class ConcurrentTagWriteTests(ReplicaCluster cluster, ITestOutputHelper output) : IAsyncLifetime
{
    public Task InitializeAsync() => cluster.EnsureHealthyAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task SixtyFourReadModifyWriters_OnOneIndex_LoseNoUpdate()
    {
        const int writers = 64;
        const string repository = "scale/index-rmw";
        // Each writer's child: an image pushed by digest beforehand (on the writer's own replica).
        var children = Enumerable.Range(0, writers).Select(i => TestImage.FromSeed(10_000 + i)).ToArray();
        await Task.WhenAll(children.Select(async (child, i) =>
        {
            var client = cluster.Client(i);
            Assert.Equal(HttpStatusCode.Created, await RegistryCalls.PushBlobsAsync(client, repository, child));
            Assert.Equal(HttpStatusCode.Created, await RegistryCalls.PutManifestStatusAsync(client, repository, child.Digest, child.Manifest));
        }));
        var empty = OciContent.Bytes(OciContent.Index([]));
        Assert.Equal(HttpStatusCode.Created, await RegistryCalls.PutManifestStatusAsync(cluster.Client(0), repository, "multi", empty, MediaTypes.OciIndex,
            headers => headers.IfNoneMatch.ParseAdd("*")));

        var preconditionFailures = 0;
        using var start = new SemaphoreSlim(0, writers);
        var tasks = children.Select((child, i) => Task.Run(async () =>
        {
            var client = cluster.Client(i);
            await start.WaitAsync();
            for (var attempt = 1; ; attempt++)
            {
                Assert.True(attempt <= 1000, $"writer {i} gave up after {attempt - 1} attempts");
                var current = await RegistryCalls.GetManifestAsync(client, repository, "multi");
                Assert.Equal(HttpStatusCode.OK, current.Status);
                Assert.NotNull(current.ETag);
                var index = JsonNode.Parse(current.Body)!.AsObject();
                index["manifests"]!.AsArray().Add(OciContent.Descriptor(MediaTypes.OciManifest, child.Manifest));
                var status = await RegistryCalls.PutManifestStatusAsync(client, repository, "multi", OciContent.Bytes(index), MediaTypes.OciIndex,
                    headers => headers.IfMatch.Add(current.ETag!));
                if (status == HttpStatusCode.Created) return;
                Assert.Equal(HttpStatusCode.PreconditionFailed, status);
                Interlocked.Increment(ref preconditionFailures);
            }
        })).ToArray();
        start.Release(writers);
        await Task.WhenAll(tasks);

        // Read back from every replica: all 64 children, each exactly once.
        for (var replica = 0; replica < ReplicaCluster.ReplicaCount; replica++)
        {
            var final = await RegistryCalls.GetManifestAsync(cluster.Client(replica), repository, "multi");
            Assert.Equal(HttpStatusCode.OK, final.Status);
            var digests = JsonNode.Parse(final.Body)!["manifests"]!.AsArray().Select(d => (string)d!["digest"]!).ToList();
            Assert.Equal(writers, digests.Count);
            Assert.Equal(children.Select(c => c.Digest).Order(), digests.Order());
        }
        output.WriteLine($"{writers} writers over {ReplicaCluster.ReplicaCount} replicas: {preconditionFailures} × 412 before every update landed");
        // Without contention this test would prove nothing about lost updates.
        Assert.True(preconditionFailures > 0, "no writer ever got 412: the writers did not contend");
    }

    [Fact]
    public async Task ThirtyTwoCreates_OfOneTag_ExactlyOneWins()
    {
        const int creators = 32;
        const string repository = "scale/create-once";
        var images = Enumerable.Range(0, creators).Select(i => TestImage.FromSeed(20_000 + i)).ToArray();
        await Task.WhenAll(images.Select(async (image, i) =>
            Assert.Equal(HttpStatusCode.Created, await RegistryCalls.PushBlobsAsync(cluster.Client(i), repository, image))));

        using var start = new SemaphoreSlim(0, creators);
        var tasks = images.Select((image, i) => Task.Run(async () =>
        {
            await start.WaitAsync();
            return await RegistryCalls.PutManifestStatusAsync(cluster.Client(i), repository, "release", image.Manifest,
                headers: headers => headers.IfNoneMatch.ParseAdd("*"));
        })).ToArray();
        start.Release(creators);
        var statuses = await Task.WhenAll(tasks);

        Assert.Equal(1, statuses.Count(s => s == HttpStatusCode.Created));
        Assert.Equal(creators - 1, statuses.Count(s => s == HttpStatusCode.PreconditionFailed));
        var winner = images[Array.IndexOf(statuses, HttpStatusCode.Created)];
        for (var replica = 0; replica < ReplicaCluster.ReplicaCount; replica++)
        {
            var read = await RegistryCalls.GetManifestAsync(cluster.Client(replica), repository, "release");
            Assert.Equal(winner.Digest, read.Digest);
        }
    }
}
