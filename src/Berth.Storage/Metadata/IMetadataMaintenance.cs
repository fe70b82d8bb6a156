using Berth.Oci.Digests;

namespace Berth.Storage.Metadata;

/// <summary>A blob link or manifest that garbage collection may remove.</summary>
public sealed record Collectable(string Repository, Digest Digest);

/// <summary>
/// Queries and guarded removals for garbage collection and integrity checks. Every removal re-checks
/// its condition inside its own short write transaction, so collection runs while clients push: a
/// manifest committed a moment earlier always wins over the collector.
/// </summary>
public interface IMetadataMaintenance
{
    /// <summary>Blob links older than the cutoff that no manifest in their repository refers to.</summary>
    IReadOnlyList<Collectable> UnreferencedBlobLinks(DateTimeOffset linkedBefore);

    Task<bool> RemoveBlobLinkIfUnreferencedAsync(Collectable link, DateTimeOffset linkedBefore);

    /// <summary>
    /// Manifests older than the cutoff that no tag points at, no index in the repository includes,
    /// and that refer to no subject (referrers are kept: they are untagged by design).
    /// </summary>
    IReadOnlyList<Collectable> UntaggedManifests(DateTimeOffset pushedBefore, Func<string, bool> repositoryFilter);

    Task<bool> RemoveManifestIfUntaggedAsync(Collectable manifest, DateTimeOffset pushedBefore);

    /// <summary>Removes stored manifest bytes that no repository holds any more; returns how many.</summary>
    Task<int> RemoveOrphanManifestContentsAsync();

    /// <summary>
    /// Runs <paramref name="delete"/> on those of <paramref name="digests"/> that no repository links, inside one
    /// write transaction that holds each digest's exclusive lock, so no link to any of them can be created
    /// while their bytes go. Returns what <paramref name="delete"/> returned (the bytes freed per blob removed),
    /// or nothing when every digest was linked. One transaction per batch, not per blob: on an object store
    /// the deletions themselves are batched (S3's DeleteObjects), and a round trip per blob is what made
    /// collecting 10,000 blobs take minutes.
    /// </summary>
    Task<IReadOnlyDictionary<Digest, long>> DeleteBlobsIfUnlinkedAsync(IReadOnlyList<Digest> digests,
        Func<IReadOnlyList<Digest>, ValueTask<IReadOnlyDictionary<Digest, long>>> delete);

    /// <summary>In how many repositories the blob is visible.</summary>
    int CountBlobLinks(Digest digest);

    /// <summary>Every (repository, blob) a manifest in that repository refers to, for integrity checks.</summary>
    IReadOnlyList<Collectable> ManifestBlobReferences();

    /// <summary>Tags whose manifest is missing from their repository (should never happen).</summary>
    IReadOnlyList<(string Repository, string Tag, Digest Digest)> DanglingTags();

    /// <summary>
    /// Makes this caller the only garbage collector among everything sharing the metadata (other
    /// threads, and for a networked database other replicas) until the returned handle is disposed.
    /// Null when another collector holds it: the caller skips this run instead of waiting.
    /// </summary>
    Task<IAsyncDisposable?> TryAcquireCollectorLockAsync(CancellationToken cancellationToken = default);
}
