using System.Net;
using Berth.Registry.Policies;
using Berth.Reliability.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Reliability.Tests;

/// <summary>
/// Garbage collection runs continuously while clients push images that share a layer and keep moving
/// their tags; untagged manifests are pruned by policy. A push may only fail if it took longer than the
/// grace period (then collecting its blobs was allowed), and every tagged image stays complete.
/// The registry's clock is fake and moves forward with every collection, so the grace period runs out
/// during the test without the test waiting for it.
/// </summary>
public sealed class GarbageCollectionUnderLoadTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);

    /// <summary>How far the clock moves per collection: a push must outlast 40 collections to lose its blobs.</summary>
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(50);

    [Fact]
    [Trait("Category", "Reliability")]
    public async Task ContinuousCollection_NeverBreaksATaggedImage()
    {
        // A fake clock steps through grace periods without waiting; an object store dates blobs by its own
        // clock, so there the registry keeps real time and the run waits for real.
        var fake = TestBackend.Current.BlobsAgeOnTheRegistryClock ? new FakeTimeProvider(DateTimeOffset.UtcNow) : null;
        TimeProvider time = fake ?? TimeProvider.System;
        // In real time a push competes with the other suites for the machine: a grace period and a run long
        // enough that several pushes fit in it, and layers still outlive it.
        var grace = fake is null ? TimeSpan.FromSeconds(5) : Grace;
        var runFor = fake is null ? TimeSpan.FromSeconds(20) : TimeSpan.FromSeconds(8);
        await using var server = await InProcessBerth.StartAsync(options => options with
        {
            // Short, so collection really removes the images whose tags moved on during the test.
            GarbageCollectionGracePeriod = grace,
            Policies = [new RepositoryPolicy { Repositories = "**", PruneUntaggedManifests = true }],
        }, time: time);
        var sharedLayer = new byte[30_000];
        new Random(1).NextBytes(sharedLayer);
        using var stop = new CancellationTokenSource(runFor);
        var collections = 0;
        long freed = 0;
        var collector = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var report = await server.Registry.GarbageCollector.CollectAsync(dryRun: false);
                freed += report.BytesFreed;
                collections++;
                if (fake is not null) fake.Advance(Step);
                else await Task.Delay(Step);
            }
        });

        var pushers = Enumerable.Range(0, 6).Select(i => Task.Run(async () =>
        {
            using var http = new HttpClient { BaseAddress = server.Address };
            var random = new Random(100 + i);
            var repository = $"gc/repo{i % 3}";
            var pushes = 0;
            while (!stop.IsCancellationRequested)
            {
                var image = ImageWriter.Compose(repository, sharedLayer, random);
                var startedAt = time.GetUtcNow();
                await ImageWriter.PushBlobsAsync(http, image);
                var status = await ImageWriter.PutManifestAsync(http, image, $"t{i}");
                if (status != HttpStatusCode.Created)
                {
                    // Only a push slower than the grace period may lose its blobs to the collector. The clock
                    // moves in steps, so a push can take exactly the grace period: a blob stored at the cutoff is collectable.
                    Assert.Equal(HttpStatusCode.BadRequest, status);
                    var elapsed = time.GetUtcNow() - startedAt;
                    Assert.True(elapsed >= grace, $"blobs pushed {elapsed.TotalMilliseconds:0} ms ago were collected");
                    continue;
                }
                await ImageWriter.AssertCompleteAsync(http, repository, image.ManifestDigest);
                pushes++;
            }
            return (repository, tag: $"t{i}", pushes);
        })).ToArray();

        var results = await Task.WhenAll(pushers);
        await collector;
        if (fake is not null) fake.Advance(grace + Step);
        else await Task.Delay(grace + Step);
        freed += (await server.Registry.GarbageCollector.CollectAsync(dryRun: false)).BytesFreed;

        using var check = new HttpClient { BaseAddress = server.Address };
        foreach (var (repository, tag, pushes) in results)
        {
            Assert.True(pushes > 1);
            var digest = await ImageWriter.ResolveAsync(check, repository, tag);
            Assert.NotNull(digest);
            await ImageWriter.AssertCompleteAsync(check, repository, digest);
        }
        Assert.True(collections > 1);
        Assert.True(freed > 0, "collection should have reclaimed the layers of images whose tags moved on");
        var integrity = await server.Registry.IntegrityChecker.CheckAsync(quarantine: false, CancellationToken.None);
        Assert.True(integrity.IsHealthy, string.Join("; ", integrity.MissingBlobs.Concat(integrity.DanglingTags)));
    }
}
