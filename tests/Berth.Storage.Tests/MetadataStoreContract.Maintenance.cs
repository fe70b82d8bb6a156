using System.Text;
using System.Text.Json;
using Berth.Oci.Digests;
using Berth.Storage.Metadata;
using static Berth.Storage.Tests.StoredContent;

namespace Berth.Storage.Tests;

public abstract partial class MetadataStoreContract
{
    private static DateTimeOffset Future => DateTimeOffset.UtcNow.AddMinutes(1);

    private static DateTimeOffset Past => DateTimeOffset.UtcNow.AddHours(-1);

    // ---- Garbage collection ----

    [Fact]
    public async Task Unreferenced_blob_links_are_collectable_after_the_grace_period_only()
    {
        var used = BlobDigest("used");
        var unused = BlobDigest("unused");
        await LinkAsync("r", used, unused);
        await Store.PutManifestAsync(Manifest("r", "m", tags: ["t"], blobs: [used]), WriteGuard.None);

        Assert.Empty(Store.UnreferencedBlobLinks(Past));
        Assert.Equal([new Collectable("r", unused)], Store.UnreferencedBlobLinks(Future));

        Assert.False(await Store.RemoveBlobLinkIfUnreferencedAsync(new Collectable("r", used), Future));
        Assert.False(await Store.RemoveBlobLinkIfUnreferencedAsync(new Collectable("r", unused), Past));
        Assert.True(await Store.RemoveBlobLinkIfUnreferencedAsync(new Collectable("r", unused), Future));
        Assert.False(Store.IsBlobLinked("r", unused));
        Assert.True(Store.IsBlobLinked("r", used));
        Assert.Equal([new Collectable("r", used)], Store.ManifestBlobReferences());
    }

    [Fact]
    public async Task Blob_bytes_are_deleted_only_when_no_repository_links_them()
    {
        var linked = BlobDigest("linked");
        await LinkAsync("r", linked);
        var orphan = BlobDigest("orphan");
        var deletions = new List<Digest>();

        Assert.Empty(await Store.DeleteBlobsIfUnlinkedAsync([linked], Delete));
        var freed = await Store.DeleteBlobsIfUnlinkedAsync([linked, orphan], Delete);

        Assert.Equal([orphan], deletions);
        Assert.Equal([orphan], freed.Keys);
        Assert.Equal(0, Store.CountBlobLinks(orphan));

        ValueTask<IReadOnlyDictionary<Digest, long>> Delete(IReadOnlyList<Digest> unlinked)
        {
            deletions.AddRange(unlinked);
            return ValueTask.FromResult<IReadOnlyDictionary<Digest, long>>(unlinked.ToDictionary(digest => digest, _ => 1L));
        }
    }

    [Fact]
    public async Task Only_untagged_unreferenced_manifests_without_subject_are_collectable()
    {
        var tagged = await PushAsync("r", "tagged", "t");
        var untagged = await PushAsync("r", "untagged");
        var child = await PushAsync("r", "child");
        await Store.PutManifestAsync(Manifest("r", "index", tags: ["multi"], children: [child.Digest]), WriteGuard.None);
        await Store.PutManifestAsync(Manifest("r", "referrer", subject: tagged.Digest), WriteGuard.None);
        await PushAsync("kept-by-filter", "untagged-elsewhere");

        Assert.Empty(Store.UntaggedManifests(Past, _ => true));
        Assert.Equal([new Collectable("r", untagged.Digest)], Store.UntaggedManifests(Future, repository => repository == "r"));
        Assert.Equal(2, Store.UntaggedManifests(Future, _ => true).Count);

        Assert.False(await Store.RemoveManifestIfUntaggedAsync(new Collectable("r", tagged.Digest), Future));
        Assert.False(await Store.RemoveManifestIfUntaggedAsync(new Collectable("r", child.Digest), Future));
        Assert.False(await Store.RemoveManifestIfUntaggedAsync(new Collectable("r", untagged.Digest), Past));
        Assert.True(await Store.RemoveManifestIfUntaggedAsync(new Collectable("r", untagged.Digest), Future));
        Assert.Null(Store.GetManifest("r", untagged.Digest));

        Assert.Equal(1, await Store.RemoveOrphanManifestContentsAsync());
        Assert.Equal(0, await Store.RemoveOrphanManifestContentsAsync());
        Assert.NotNull(Store.GetManifest("r", tagged.Digest));
        Assert.NotNull(Store.GetManifest("kept-by-filter", Manifest("kept-by-filter", "untagged-elsewhere").Digest));
        Assert.Empty(Store.DanglingTags());
    }

    [Fact]
    public async Task One_collector_at_a_time_across_instances()
    {
        var other = OpenAnotherInstance();
        var first = await Store.TryAcquireCollectorLockAsync();
        Assert.NotNull(first);
        Assert.Null(await other.TryAcquireCollectorLockAsync());
        Assert.Null(await Store.TryAcquireCollectorLockAsync());

        await first.DisposeAsync();

        var second = await other.TryAcquireCollectorLockAsync();
        Assert.NotNull(second);
        await second.DisposeAsync();
    }

    // ---- Concurrent writers (each instance stands for a replica with its own connections) ----

    [Fact]
    public async Task Guarded_read_modify_write_from_three_instances_loses_no_update()
    {
        const int writers = 64;
        IMetadataBackend[] instances = [Store, OpenAnotherInstance(), OpenAnotherInstance()];
        await PushAsync("r", "", "index");
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var conflicts = 0;

        var tasks = Enumerable.Range(0, writers).Select(writer => Task.Run(async () =>
        {
            var store = instances[writer % instances.Length];
            await start.Task;
            for (var attempt = 0; attempt < 10_000; attempt++)
            {
                var current = store.ResolveTag("r", "index")!;
                var members = BodyOf(current.Manifest.Content);
                var next = Manifest("r", members + $"[{writer}]", tags: ["index"]);
                var outcome = await store.PutManifestAsync(next, IfMatch(current.Manifest.Digest));
                if (outcome.Status == WriteStatus.Done) return;
                Assert.Equal(WriteStatus.PreconditionFailed, outcome.Status);
                Interlocked.Increment(ref conflicts);
            }
            Assert.Fail($"writer {writer} never got its update in");
        })).ToList();
        start.SetResult();
        await Task.WhenAll(tasks);

        var final = BodyOf(Store.ResolveTag("r", "index")!.Manifest.Content);
        for (var writer = 0; writer < writers; writer++)
        {
            Assert.Equal(1, CountOf(final, $"[{writer}]"));
        }
        Assert.Equal(writers + 1, Store.TagHistory("r", "index", 1000).Count);
        Assert.True(conflicts > 0, "the writers never overlapped, so the test proved nothing");
    }

    [Fact]
    public async Task Of_32_concurrent_create_only_writes_exactly_one_succeeds()
    {
        const int creators = 32;
        IMetadataBackend[] instances = [Store, OpenAnotherInstance(), OpenAnotherInstance()];
        await PushAsync("r", "another tag, so the repository exists", "other");
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var tasks = Enumerable.Range(0, creators).Select(creator => Task.Run(async () =>
        {
            await start.Task;
            var manifest = Manifest("r", $"candidate {creator}", tags: ["v1.0"]);
            return (manifest.Digest, Outcome: await instances[creator % instances.Length].PutManifestAsync(manifest, IfNoneMatchAny));
        })).ToList();
        start.SetResult();
        var results = await Task.WhenAll(tasks);

        var winner = Assert.Single(results, result => result.Outcome.Status == WriteStatus.Done);
        Assert.All(results.Where(result => result.Outcome.Status != WriteStatus.Done),
            result => Assert.Equal(WriteStatus.PreconditionFailed, result.Outcome.Status));
        Assert.Equal(winner.Digest, Store.ResolveTag("r", "v1.0")!.Manifest.Digest);
        Assert.Single(Store.TagHistory("r", "v1.0", 100));
        // Losers leave no manifest behind.
        Assert.All(results.Where(result => result.Outcome.Status != WriteStatus.Done),
            result => Assert.Null(Store.GetManifest("r", result.Digest)));
    }

    private static string BodyOf(byte[] content)
    {
        using var document = JsonDocument.Parse(content);
        return document.RootElement.GetProperty("body").GetString()!;
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + 1, StringComparison.Ordinal)) count++;
        return count;
    }
}
