using System.Collections.Concurrent;
using Berth.Oci.Digests;
using Berth.Storage.Metadata;
using static Berth.Storage.Tests.StoredContent;

namespace Berth.Storage.Tests;

public abstract partial class MetadataStoreContract
{
    /// <summary>
    /// A collector with no grace period runs flat out on one instance while two others push images that
    /// share layers, re-tag and delete them. Whatever interleaving happens, no manifest may end up
    /// referring to an unlinked blob, no link to bytes that were deleted, and no tag to a missing manifest.
    /// The "disk" is a set of digests; deleting bytes is removing from it.
    /// </summary>
    [Fact]
    public async Task Collection_racing_pushes_never_leaves_a_reference_to_something_missing()
    {
        IMetadataBackend[] pushers = [OpenAnotherInstance(), OpenAnotherInstance()];
        var collector = Store;
        var disk = new ConcurrentDictionary<Digest, bool>();
        var layers = Enumerable.Range(0, 24).Select(i => BlobDigest("layer" + i)).ToArray();
        var deadline = DateTime.UtcNow.AddSeconds(4);
        var pushes = 0;
        var collectedLinks = 0;
        var deletedBytes = 0;

        async Task PushLoopAsync(int pusher)
        {
            var store = pushers[pusher];
            for (var round = 0; DateTime.UtcNow < deadline; round++)
            {
                var repository = $"repo{round % 2}";
                var blobs = new[] { layers[(2 * round + pusher) % layers.Length], layers[(2 * round + pusher + 1) % layers.Length] };
                var manifest = Manifest(repository, $"p{pusher}-r{round}", tags: [$"t{pusher}"], blobs: blobs);
                for (var attempt = 0; ; attempt++)
                {
                    Assert.True(attempt < 1000, "a push never got through");
                    // Upload (bytes to disk) and link each layer, as the upload path does; then the manifest.
                    foreach (var blob in blobs)
                    {
                        disk[blob] = true;
                        if (!await store.LinkBlobAsync(repository, blob, () => ValueTask.FromResult(disk.ContainsKey(blob)))) continue;
                    }
                    var outcome = await store.PutManifestAsync(manifest, WriteGuard.None);
                    if (outcome.Status == WriteStatus.Done)
                    {
                        // Checked at once: the manifest is tagged, so nothing may take its layers away now,
                        // and a later re-link of the same layer must not get the chance to hide a lost one.
                        foreach (var blob in blobs)
                        {
                            Assert.True(store.IsBlobLinked(repository, blob), $"pushed {manifest.Digest} refers to unlinked {blob}");
                            Assert.True(disk.ContainsKey(blob), $"pushed {manifest.Digest} refers to deleted bytes of {blob}");
                        }
                        break;
                    }
                    Assert.Equal(WriteStatus.MissingReference, outcome.Status); // the collector won: upload again
                }
                Interlocked.Increment(ref pushes);
                if (round % 2 == 1) await store.DeleteManifestAsync(repository, manifest.Digest, WriteGuard.None, null);
            }
        }

        async Task CollectLoopAsync()
        {
            while (DateTime.UtcNow < deadline)
            {
                var cutoff = DateTimeOffset.UtcNow.AddMinutes(1);
                foreach (var manifest in collector.UntaggedManifests(cutoff, _ => true))
                {
                    await collector.RemoveManifestIfUntaggedAsync(manifest, cutoff);
                }
                await collector.RemoveOrphanManifestContentsAsync();
                foreach (var link in collector.UnreferencedBlobLinks(cutoff))
                {
                    if (await collector.RemoveBlobLinkIfUnreferencedAsync(link, cutoff)) Interlocked.Increment(ref collectedLinks);
                }
                await collector.DeleteBlobsIfUnlinkedAsync(layers, unlinked =>
                {
                    foreach (var blob in unlinked)
                    {
                        if (disk.TryRemove(blob, out _)) Interlocked.Increment(ref deletedBytes);
                    }
                    return ValueTask.FromResult<IReadOnlyDictionary<Digest, long>>(unlinked.ToDictionary(blob => blob, _ => 1L));
                });
            }
        }

        await Task.WhenAll(Task.Run(() => PushLoopAsync(0)), Task.Run(() => PushLoopAsync(1)), Task.Run(CollectLoopAsync));

        Assert.True(pushes > 10, $"only {pushes} pushes: the race was hardly exercised");
        Assert.True(collectedLinks > 0 && deletedBytes > 0, "the collector never removed anything: the race was not exercised");
        foreach (var reference in collector.ManifestBlobReferences())
        {
            Assert.True(collector.IsBlobLinked(reference.Repository, reference.Digest), $"{reference} is referenced but not linked");
        }
        foreach (var blob in layers)
        {
            if (collector.CountBlobLinks(blob) > 0) Assert.True(disk.ContainsKey(blob), $"{blob} is linked but its bytes were deleted");
        }
        Assert.Empty(collector.DanglingTags());
        foreach (var repository in new[] { "repo0", "repo1" })
        {
            foreach (var tag in collector.ListTags(repository, null, 1000)?.Items ?? [])
            {
                Assert.NotNull(collector.ResolveTag(repository, tag)); // the manifest's bytes are there too
            }
        }
    }
}
