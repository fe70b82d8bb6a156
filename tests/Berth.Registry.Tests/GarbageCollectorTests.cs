using Berth.Oci.Preconditions;
using Berth.Registry.Policies;

namespace Berth.Registry.Tests;

public sealed class GarbageCollectorTests
{
    [Fact]
    public async Task TaggedImage_SurvivesCollection()
    {
        using var temporary = await TemporaryRegistry.OpenAsync();
        var layer = RandomBytes(1000);
        await temporary.PushImageAsync("app", "v1", layer);

        var report = await temporary.Registry.GarbageCollector.CollectAsync(dryRun: false);

        Assert.Empty(report.BlobsDeleted);
        Assert.Empty(report.BlobLinksRemoved);
        Assert.True(temporary.Registry.Manifests.Read("app", "v1", RequestPreconditions.None).IsSuccess);
    }

    [Fact]
    public async Task BlobOfDeletedManifest_IsCollected_AndDryRunPredictsIt()
    {
        using var temporary = await TemporaryRegistry.OpenAsync();
        var layer = RandomBytes(4096);
        var manifest = await temporary.PushImageAsync("app", "v1", layer);
        Assert.True((await temporary.Registry.Manifests.DeleteAsync("app", manifest.ToString(), RequestPreconditions.None, null)).IsSuccess);

        var dryRun = await temporary.Registry.GarbageCollector.CollectAsync(dryRun: true);
        var real = await temporary.Registry.GarbageCollector.CollectAsync(dryRun: false);

        Assert.Equal(2, dryRun.BlobsDeleted.Count); // config and layer
        Assert.Equal(dryRun.BlobsDeleted.Order(), real.BlobsDeleted.Order());
        Assert.Equal(dryRun.BytesFreed, real.BytesFreed);
        Assert.True(real.BytesFreed >= 4096);
        Assert.Empty((await temporary.Registry.GarbageCollector.CollectAsync(dryRun: false)).BlobsDeleted);
    }

    [Fact]
    public async Task SecondCollector_SkipsWhileAnotherRuns()
    {
        using var temporary = await TemporaryRegistry.OpenAsync();
        var manifest = await temporary.PushImageAsync("app", "v1", RandomBytes(512));
        await temporary.Registry.Manifests.DeleteAsync("app", manifest.ToString(), RequestPreconditions.None, null);
        // Another process on the same metadata (a replica) holding the collector lock.
        using var other = new Storage.Metadata.SqliteMetadataStore(Path.Combine(temporary.Directory, "metadata.db"));
        var running = await other.TryAcquireCollectorLockAsync();
        Assert.NotNull(running);

        var skipped = await temporary.Registry.GarbageCollector.CollectAsync(dryRun: false);
        var dryRun = await temporary.Registry.GarbageCollector.CollectAsync(dryRun: true);
        await running.DisposeAsync();
        var collected = await temporary.Registry.GarbageCollector.CollectAsync(dryRun: false);

        Assert.True(skipped.SkippedBecauseAnotherCollectorRuns);
        Assert.Empty(skipped.BlobsDeleted);
        Assert.False(dryRun.SkippedBecauseAnotherCollectorRuns); // a dry run changes nothing and needs no lock
        Assert.Equal(2, dryRun.BlobsDeleted.Count);
        Assert.False(collected.SkippedBecauseAnotherCollectorRuns);
        Assert.Equal(dryRun.BlobsDeleted.Order(), collected.BlobsDeleted.Order());
    }

    [Fact]
    public async Task SharedLayer_StaysWhileAnotherRepositoryUsesIt()
    {
        using var temporary = await TemporaryRegistry.OpenAsync();
        var shared = RandomBytes(2048);
        var first = await temporary.PushImageAsync("one", "v1", shared);
        await temporary.PushImageAsync("two", "v1", shared);
        await temporary.Registry.Manifests.DeleteAsync("one", first.ToString(), RequestPreconditions.None, null);

        await temporary.Registry.GarbageCollector.CollectAsync(dryRun: false);

        var layerDigest = Oci.Digests.Digest.Compute(Oci.Digests.DigestAlgorithm.Sha256, shared);
        Assert.True((await temporary.Registry.Blobs.ReadAsync("two", layerDigest.ToString(), RequestPreconditions.None)).IsSuccess);
        Assert.False((await temporary.Registry.Blobs.ReadAsync("one", layerDigest.ToString(), RequestPreconditions.None)).IsSuccess);
    }

    [Fact]
    public async Task GracePeriod_ProtectsBlobsUploadedBeforeTheirManifest()
    {
        using var temporary = await TemporaryRegistry.OpenAsync(options => options with { GarbageCollectionGracePeriod = TimeSpan.FromHours(1) });
        var blob = await temporary.PushBlobAsync("app", RandomBytes(100));

        var report = await temporary.Registry.GarbageCollector.CollectAsync(dryRun: false);

        Assert.Empty(report.BlobsDeleted);
        Assert.True((await temporary.Registry.Blobs.ReadAsync("app", blob.ToString(), RequestPreconditions.None)).IsSuccess);
    }

    [Fact]
    public async Task UntaggedManifests_AreRemovedOnlyWherePolicyAsks()
    {
        using var temporary = await TemporaryRegistry.OpenAsync(options => options with
        {
            Policies = [new RepositoryPolicy { Repositories = "scratch/**", PruneUntaggedManifests = true }],
        });
        var kept = await temporary.PushImageAsync("keep/app", "v1", RandomBytes(10));
        var pruned = await temporary.PushImageAsync("scratch/app", "v1", RandomBytes(10));
        await temporary.PushImageAsync("keep/app", "v1", RandomBytes(11)); // moves v1 away from `kept`
        await temporary.PushImageAsync("scratch/app", "v1", RandomBytes(11));

        var report = await temporary.Registry.GarbageCollector.CollectAsync(dryRun: false);

        Assert.Equal([$"scratch/app@{pruned}"], report.ManifestsRemoved);
        Assert.True(temporary.Registry.Manifests.Read("keep/app", kept.ToString(), RequestPreconditions.None).IsSuccess);
        Assert.False(temporary.Registry.Manifests.Read("scratch/app", pruned.ToString(), RequestPreconditions.None).IsSuccess);
        Assert.True(temporary.Registry.Manifests.Read("scratch/app", "v1", RequestPreconditions.None).IsSuccess);
    }
}
