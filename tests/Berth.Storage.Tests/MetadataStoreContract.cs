using Berth.Storage.Metadata;
using static Berth.Storage.Tests.StoredContent;

namespace Berth.Storage.Tests;

/// <summary>
/// The metadata store contract, run against every engine by a tiny derived class per engine. Each
/// test gets an empty database; <see cref="OpenAnotherInstance"/> opens a second store on the same
/// database, as a second registry process (a replica) would.
/// </summary>
public abstract partial class MetadataStoreContract : IAsyncLifetime
{
    private readonly List<IMetadataBackend> _instances = [];

    protected IMetadataBackend Store { get; private set; } = null!;

    /// <summary>Creates the empty database this test uses.</summary>
    protected abstract Task CreateDatabaseAsync();

    /// <summary>Opens a store instance on this test's database.</summary>
    protected abstract IMetadataBackend OpenInstance();

    protected abstract Task DeleteDatabaseAsync();

    public async Task InitializeAsync()
    {
        await CreateDatabaseAsync();
        Store = OpenAnotherInstance();
    }

    public async Task DisposeAsync()
    {
        foreach (var instance in _instances) instance.Dispose();
        await DeleteDatabaseAsync();
    }

    protected IMetadataBackend OpenAnotherInstance()
    {
        var instance = OpenInstance();
        _instances.Add(instance);
        return instance;
    }

    /// <summary>Links blobs (present on "disk") so manifests referring to them can be stored.</summary>
    protected async Task LinkAsync(string repository, params Oci.Digests.Digest[] digests)
    {
        foreach (var digest in digests) Assert.True(await Store.LinkBlobAsync(repository, digest, () => ValueTask.FromResult(true)));
    }

    protected async Task<ManifestToStore> PushAsync(string repository, string body, params string[] tags)
    {
        var manifest = Manifest(repository, body, tags);
        Assert.Equal(WriteStatus.Done, (await Store.PutManifestAsync(manifest, WriteGuard.None)).Status);
        return manifest;
    }

    // ---- Repositories and blob links ----

    [Fact]
    public async Task Repositories_are_listed_in_byte_order_with_paging()
    {
        foreach (var name in new[] { "b/x", "a", "B", "a-b", "a/b" }) await LinkAsync(name, BlobDigest("l"));

        Assert.True(Store.RepositoryExists("a/b"));
        Assert.False(Store.RepositoryExists("a/c"));
        var all = Store.ListRepositories(null, 100);
        Assert.Equal(["B", "a", "a-b", "a/b", "b/x"], all.Items);
        Assert.False(all.HasMore);
        var first = Store.ListRepositories(null, 2);
        Assert.Equal(["B", "a"], first.Items);
        Assert.True(first.HasMore);
        var next = Store.ListRepositories("a", 2);
        Assert.Equal(["a-b", "a/b"], next.Items);
        Assert.True(next.HasMore);
        Assert.Equal(["b/x"], Store.ListRepositories("a/b", 2).Items);
    }

    [Fact]
    public async Task A_blob_is_linked_only_when_its_content_is_present()
    {
        var digest = BlobDigest("layer");
        Assert.False(await Store.LinkBlobAsync("r", digest, () => ValueTask.FromResult(false)));
        Assert.False(Store.IsBlobLinked("r", digest));
        Assert.False(Store.RepositoryExists("r"));

        Assert.True(await Store.LinkBlobAsync("r", digest, () => ValueTask.FromResult(true)));
        Assert.True(await Store.LinkBlobAsync("r", digest, () => ValueTask.FromResult(true))); // again: idempotent
        Assert.True(Store.IsBlobLinked("r", digest));
        Assert.False(Store.IsBlobLinked("other", digest));
        Assert.Equal(1, Store.CountBlobLinks(digest));
    }

    [Fact]
    public async Task A_blob_is_found_in_another_repository_for_mounts()
    {
        var digest = BlobDigest("shared");
        await LinkAsync("one", digest);
        Assert.Null(Store.FindRepositoryWithBlob(digest, except: "one"));
        await LinkAsync("two", digest);
        Assert.Equal("one", Store.FindRepositoryWithBlob(digest, except: "two"));
        Assert.Equal(2, Store.CountBlobLinks(digest));
    }

    [Fact]
    public async Task Unlinking_a_blob_honours_its_guard()
    {
        var digest = BlobDigest("x");
        Assert.Equal(WriteStatus.NotFound, (await Store.UnlinkBlobAsync("r", digest, WriteGuard.None)).Status);
        await LinkAsync("r", digest);

        var refused = await Store.UnlinkBlobAsync("r", digest, IfMatch(BlobDigest("other")));
        Assert.Equal(WriteStatus.PreconditionFailed, refused.Status);
        Assert.Equal(digest, refused.Current);
        Assert.True(Store.IsBlobLinked("r", digest));

        Assert.Equal(WriteStatus.Done, (await Store.UnlinkBlobAsync("r", digest, IfMatch(digest))).Status);
        Assert.False(Store.IsBlobLinked("r", digest));
        Assert.Equal(WriteStatus.NotFound, (await Store.UnlinkBlobAsync("r", digest, WriteGuard.None)).Status);
    }

    // ---- Manifests and tags ----

    [Fact]
    public async Task A_pushed_manifest_is_read_back_byte_for_byte_by_digest_and_by_tag()
    {
        var config = BlobDigest("config");
        var layer = BlobDigest("layer");
        await LinkAsync("r", config, layer);
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var manifest = Manifest("r", "one", tags: ["v1"], blobs: [config, layer]);

        Assert.Equal(WriteStatus.Done, (await Store.PutManifestAsync(manifest, WriteGuard.None)).Status);

        var byDigest = Store.GetManifest("r", manifest.Digest);
        Assert.NotNull(byDigest);
        Assert.Equal(manifest.Content, byDigest.Content);
        Assert.Equal(manifest.MediaType, byDigest.MediaType);
        var byTag = Store.ResolveTag("r", "v1");
        Assert.NotNull(byTag);
        Assert.Equal(manifest.Digest, byTag.Manifest.Digest);
        Assert.Equal(manifest.Content, byTag.Manifest.Content);
        Assert.InRange(byTag.TagUpdatedAt, before, DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Null(Store.GetManifest("other", manifest.Digest));
        Assert.Null(Store.ResolveTag("r", "v2"));
    }

    [Fact]
    public async Task A_manifest_whose_blob_is_not_linked_is_refused_and_leaves_nothing()
    {
        var linked = BlobDigest("linked");
        var missing = BlobDigest("missing");
        await LinkAsync("r", linked);
        var manifest = Manifest("r", "m", tags: ["t"], blobs: [linked, missing]);

        var outcome = await Store.PutManifestAsync(manifest, WriteGuard.None);

        Assert.Equal(WriteStatus.MissingReference, outcome.Status);
        Assert.Equal(missing, outcome.MissingReference);
        Assert.Null(Store.GetManifest("r", manifest.Digest));
        Assert.Null(Store.ResolveTag("r", "t"));
        Assert.Empty(Store.TagHistory("r", "t", 10));
    }

    [Fact]
    public async Task An_index_needs_its_child_manifests_in_the_repository()
    {
        var child = Manifest("r", "child");
        var index = Manifest("r", "index", tags: ["multi"], children: [child.Digest]);
        var refused = await Store.PutManifestAsync(index, WriteGuard.None);
        Assert.Equal(WriteStatus.MissingReference, refused.Status);
        Assert.Equal(child.Digest, refused.MissingReference);

        Assert.Equal(WriteStatus.Done, (await Store.PutManifestAsync(child, WriteGuard.None)).Status);
        Assert.Equal(WriteStatus.Done, (await Store.PutManifestAsync(index, WriteGuard.None)).Status);
        Assert.Equal(index.Digest, Store.ResolveTag("r", "multi")!.Manifest.Digest);
    }

    [Fact]
    public async Task If_match_moves_a_tag_only_from_the_expected_digest()
    {
        var first = await PushAsync("r", "1", "t");
        var second = Manifest("r", "2", tags: ["t"]);
        var third = Manifest("r", "3", tags: ["t"]);

        Assert.Equal(WriteStatus.Done, (await Store.PutManifestAsync(second, IfMatch(first.Digest))).Status);
        var stale = await Store.PutManifestAsync(third, IfMatch(first.Digest));

        Assert.Equal(WriteStatus.PreconditionFailed, stale.Status);
        Assert.Equal(second.Digest, stale.Current);
        Assert.Equal(second.Digest, Store.ResolveTag("r", "t")!.Manifest.Digest);
        Assert.Null(Store.GetManifest("r", third.Digest)); // a 412 leaves no trace, not even the manifest
        Assert.Equal(WriteStatus.Done, (await Store.PutManifestAsync(third, IfMatch(BlobDigest("nine"), second.Digest))).Status);
        Assert.Equal(WriteStatus.Done, (await Store.PutManifestAsync(Manifest("r", "4", tags: ["t"]), IfMatchAny)).Status);
    }

    [Fact]
    public async Task If_match_on_a_missing_tag_fails_and_creates_nothing()
    {
        var existing = await PushAsync("r", "1", "t");
        Assert.Equal(WriteStatus.PreconditionFailed, (await Store.PutManifestAsync(Manifest("r", "n", tags: ["new"]), IfMatchAny)).Status);
        Assert.Equal(WriteStatus.PreconditionFailed, (await Store.PutManifestAsync(Manifest("r", "n", tags: ["new"]), IfMatch(existing.Digest))).Status);
        Assert.Null(Store.ResolveTag("r", "new"));
        Assert.Equal(["t"], Store.ListTags("r", null, 10)!.Items);
    }

    [Fact]
    public async Task If_none_match_star_creates_a_tag_once()
    {
        var created = Manifest("r", "1", tags: ["release"]);
        Assert.Equal(WriteStatus.Done, (await Store.PutManifestAsync(created, IfNoneMatchAny)).Status);

        var again = await Store.PutManifestAsync(Manifest("r", "1", tags: ["release"]), IfNoneMatchAny);
        Assert.Equal(WriteStatus.PreconditionFailed, again.Status); // even with the identical body
        Assert.Equal(created.Digest, again.Current);
        Assert.Equal(WriteStatus.PreconditionFailed, (await Store.PutManifestAsync(Manifest("r", "2", tags: ["release"]), IfNoneMatch(created.Digest))).Status);
        Assert.Equal(WriteStatus.Done, (await Store.PutManifestAsync(Manifest("r", "2", tags: ["release"]), IfNoneMatch(BlobDigest("other")))).Status);
    }

    [Fact]
    public async Task A_push_by_digest_is_guarded_by_the_manifest_itself()
    {
        var manifest = Manifest("r", "by-digest");
        Assert.Equal(WriteStatus.Done, (await Store.PutManifestAsync(manifest, IfNoneMatchAny)).Status);
        var probe = await Store.PutManifestAsync(manifest, IfNoneMatchAny);
        Assert.Equal(WriteStatus.PreconditionFailed, probe.Status);
        Assert.Equal(manifest.Digest, probe.Current);
        Assert.Equal(WriteStatus.PreconditionFailed, (await Store.PutManifestAsync(Manifest("r", "absent"), IfMatchAny)).Status);
        Assert.Null(Store.GetManifest("r", Manifest("r", "absent").Digest));
    }

    [Fact]
    public async Task Tag_policies_require_preconditions_or_forbid_moves()
    {
        var first = await PushAsync("r", "1", "protected", "frozen");
        var requires = new WriteGuard { RequiresPreconditions = tag => tag == "protected" };
        var immutable = new WriteGuard { IsImmutable = tag => tag == "frozen" };

        Assert.Equal(WriteStatus.PreconditionRequired, (await Store.PutManifestAsync(Manifest("r", "2", tags: ["protected"]), requires)).Status);
        Assert.Equal(WriteStatus.Done, (await Store.PutManifestAsync(Manifest("r", "2", tags: ["protected"]), requires with
        {
            Preconditions = IfMatch(first.Digest).Preconditions,
        })).Status);
        Assert.Equal(WriteStatus.ImmutableTag, (await Store.PutManifestAsync(Manifest("r", "3", tags: ["frozen"]), immutable)).Status);
        Assert.Equal(WriteStatus.ImmutableTag, (await Store.DeleteTagAsync("r", "frozen", immutable, null)).Status);
        Assert.Equal(WriteStatus.ImmutableTag, (await Store.DeleteManifestAsync("r", first.Digest, immutable, null)).Status);
        Assert.Equal(first.Digest, Store.ResolveTag("r", "frozen")!.Manifest.Digest);
        // A new tag is not "overwritten": the policies allow creating it.
        Assert.Equal(WriteStatus.Done, (await Store.PutManifestAsync(Manifest("r", "4", tags: ["frozen-2"]), immutable with { IsImmutable = _ => true })).Status);
    }

    [Fact]
    public async Task Deleting_a_tag_honours_its_guard_and_is_recorded()
    {
        var manifest = await PushAsync("r", "1", "t");
        Assert.Equal(WriteStatus.NotFound, (await Store.DeleteTagAsync("r", "missing", IfMatch(manifest.Digest), null)).Status);
        Assert.Equal(WriteStatus.NotFound, (await Store.DeleteTagAsync("unknown-repo", "t", WriteGuard.None, null)).Status);
        var refused = await Store.DeleteTagAsync("r", "t", IfMatch(BlobDigest("other")), null);
        Assert.Equal(WriteStatus.PreconditionFailed, refused.Status);
        Assert.Equal(manifest.Digest, refused.Current);
        Assert.Equal(WriteStatus.PreconditionFailed, (await Store.DeleteTagAsync("r", "t", IfNoneMatchAny, null)).Status);

        Assert.Equal(WriteStatus.Done, (await Store.DeleteTagAsync("r", "t", IfMatch(manifest.Digest), "alice")).Status);

        Assert.Null(Store.ResolveTag("r", "t"));
        Assert.NotNull(Store.GetManifest("r", manifest.Digest)); // the manifest stays
        var latest = Store.TagHistory("r", "t", 10)[0];
        Assert.Equal((manifest.Digest, (Oci.Digests.Digest?)null, "alice"), (latest.OldDigest!.Value, latest.NewDigest, latest.Actor));
    }

    [Fact]
    public async Task Deleting_a_manifest_removes_its_tags_in_the_same_step()
    {
        var manifest = await PushAsync("r", "1", "a", "b");
        var other = await PushAsync("r", "2", "c");
        Assert.Equal(WriteStatus.PreconditionFailed, (await Store.DeleteManifestAsync("r", manifest.Digest, IfMatch(other.Digest), null)).Status);

        Assert.Equal(WriteStatus.Done, (await Store.DeleteManifestAsync("r", manifest.Digest, WriteGuard.None, "bob")).Status);

        Assert.Null(Store.GetManifest("r", manifest.Digest));
        Assert.Equal(["c"], Store.ListTags("r", null, 10)!.Items);
        Assert.Equal("bob", Store.TagHistory("r", "a", 1)[0].Actor);
        Assert.Null(Store.TagHistory("r", "b", 1)[0].NewDigest);
        Assert.Equal(WriteStatus.NotFound, (await Store.DeleteManifestAsync("r", manifest.Digest, WriteGuard.None, null)).Status);
        Assert.Equal(WriteStatus.NotFound, (await Store.DeleteManifestAsync("nowhere", manifest.Digest, WriteGuard.None, null)).Status);
        Assert.Empty(Store.DanglingTags());
    }

    [Fact]
    public async Task Tag_history_lists_moves_newest_first()
    {
        var one = Manifest("r", "1", tags: ["t"], actor: "ci-1");
        var two = Manifest("r", "2", tags: ["t"], actor: "ci-2");
        await Store.PutManifestAsync(one, WriteGuard.None);
        await Store.PutManifestAsync(two, WriteGuard.None);
        await Store.PutManifestAsync(two, WriteGuard.None); // same digest again: not a move

        var history = Store.TagHistory("r", "t", 10);
        Assert.Equal(2, history.Count);
        Assert.Equal((one.Digest, two.Digest, "ci-2"), (history[0].OldDigest!.Value, history[0].NewDigest!.Value, history[0].Actor));
        Assert.Equal(((Oci.Digests.Digest?)null, one.Digest, "ci-1"), (history[1].OldDigest, history[1].NewDigest!.Value, history[1].Actor));
        Assert.All(history, move => Assert.Equal("t", move.Tag));
        Assert.Single(Store.TagHistory("r", "t", 1));
        Assert.Empty(Store.TagHistory("r", "other", 10));
    }

    [Fact]
    public async Task Tags_are_listed_in_byte_order_with_paging()
    {
        await PushAsync("r", "1", "v1.10", "v1.9", "Latest", "latest", "v1_0");
        Assert.Null(Store.ListTags("unknown", null, 10));

        Assert.Equal(["Latest", "latest", "v1.10", "v1.9", "v1_0"], Store.ListTags("r", null, 100)!.Items);
        var page = Store.ListTags("r", null, 2)!;
        Assert.Equal(["Latest", "latest"], page.Items);
        Assert.True(page.HasMore);
        page = Store.ListTags("r", "latest", 2)!;
        Assert.Equal(["v1.10", "v1.9"], page.Items);
        Assert.True(page.HasMore);
        page = Store.ListTags("r", "v1.9", 2)!;
        Assert.Equal(["v1_0"], page.Items);
        Assert.False(page.HasMore);
        Assert.Empty(Store.ListTags("r", "zzz", 2)!.Items);
    }

    [Fact]
    public async Task Referrers_are_the_manifests_with_that_subject_in_digest_order()
    {
        var subject = await PushAsync("r", "subject", "t");
        var annotations = new SortedDictionary<string, string> { ["org.example.kind"] = "sbom" };
        var sbom = Manifest("r", "sbom", subject: subject.Digest, artifactType: "application/spdx+json", annotations: annotations);
        var signature = Manifest("r", "sig", subject: subject.Digest, artifactType: "application/vnd.dev.sigstore");
        await Store.PutManifestAsync(sbom, WriteGuard.None);
        await Store.PutManifestAsync(signature, WriteGuard.None);
        await Store.PutManifestAsync(Manifest("other", "sig-elsewhere", subject: subject.Digest), WriteGuard.None);

        var referrers = Store.ListReferrers("r", subject.Digest);

        Assert.Equal(new[] { sbom.Digest.ToString(), signature.Digest.ToString() }.Order(StringComparer.Ordinal), referrers.Select(d => d.Digest));
        var listed = referrers.Single(d => d.Digest == sbom.Digest.ToString());
        Assert.Equal(sbom.Content.Length, listed.Size);
        Assert.Equal("application/spdx+json", listed.ArtifactType);
        Assert.Equal(sbom.MediaType, listed.MediaType);
        Assert.Equal("sbom", listed.Annotations!["org.example.kind"]);
        Assert.Null(referrers.Single(d => d.Digest == signature.Digest.ToString()).Annotations);
        Assert.Empty(Store.ListReferrers("r", sbom.Digest));
    }

    // ---- Upload sessions ----

    [Fact]
    public async Task Upload_sessions_are_created_touched_expired_and_deleted()
    {
        var start = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000);
        await Store.CreateUploadAsync(new UploadSession("u1", "r", Oci.Digests.DigestAlgorithm.Sha512, start, start));
        await Store.CreateUploadAsync(new UploadSession("u2", "r", Oci.Digests.DigestAlgorithm.Sha256, start, start));

        var session = Store.GetUpload("u1");
        Assert.NotNull(session);
        Assert.Equal(("r", "sha512", start, start), (session.Repository, session.Algorithm.Name, session.StartedAt, session.UpdatedAt));
        Assert.Null(Store.GetUpload("nope"));

        var touched = start.AddSeconds(50);
        await Store.TouchUploadAsync("u2", touched);
        Assert.Equal(touched, Store.GetUpload("u2")!.UpdatedAt);
        Assert.Equal(["u1"], Store.ExpiredUploads(start.AddSeconds(10)));
        Assert.Equal(["u1", "u2"], Store.ExpiredUploads(start.AddSeconds(51)).Order(StringComparer.Ordinal));

        await Store.DeleteUploadAsync("u1");
        Assert.Null(Store.GetUpload("u1"));
        Assert.Equal(["u2"], Store.ExpiredUploads(start.AddSeconds(51)));
    }

    // ---- Change version ----

    [Fact]
    public async Task The_change_version_moves_with_every_change_to_tags_and_manifests_from_any_instance()
    {
        var other = OpenAnotherInstance();
        var version = Store.ChangeVersion();
        Assert.Equal(version, Store.ChangeVersion());

        var manifest = Manifest("r", "1", tags: ["t"]);
        await other.PutManifestAsync(manifest, WriteGuard.None);
        var afterPush = Store.ChangeVersion();
        Assert.NotEqual(version, afterPush);
        Assert.Equal(["t"], Store.ListTags("r", null, 10)!.Items); // and the other instance's write is visible at once

        await other.DeleteTagAsync("r", "t", WriteGuard.None, null);
        var afterUntag = Store.ChangeVersion();
        Assert.NotEqual(afterPush, afterUntag);

        await other.DeleteManifestAsync("r", manifest.Digest, WriteGuard.None, null);
        Assert.NotEqual(afterUntag, Store.ChangeVersion());
    }
}
