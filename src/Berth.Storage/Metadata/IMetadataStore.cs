using Berth.Oci.Digests;
using Berth.Oci.Manifests;

namespace Berth.Storage.Metadata;

/// <summary>
/// Repositories, manifests, tags, referrers, blob links, upload sessions and tag history. Shaped so a
/// networked database can replace the embedded one: every write that has a condition takes it as a
/// <see cref="WriteGuard"/> and checks it in the same transaction, and no operation relies on state
/// held in this process.
/// </summary>
public interface IMetadataStore
{
    bool RepositoryExists(string repository);

    Page ListRepositories(string? last, int limit);

    // Blobs visible in a repository.
    bool IsBlobLinked(string repository, Digest digest);
    /// <summary>
    /// Makes a stored blob visible in a repository. <paramref name="contentPresent"/> is checked inside the
    /// transaction, so garbage collection (which deletes files inside its own transaction) cannot remove
    /// the bytes between the check and the link. False when the content is gone. The check is asynchronous
    /// because on an object store it is a request: blocking a thread on it inside every push starved the
    /// thread pool under 64 concurrent pushes (10-second stalls).
    /// </summary>
    /// <param name="arrival">Set when the link is a push or mount a notification should report; null records no event.</param>
    Task<bool> LinkBlobAsync(string repository, Digest digest, Func<ValueTask<bool>> contentPresent, Events.BlobArrival? arrival = null);
    /// <summary>A repository (other than <paramref name="except"/>) where the blob is linked, for mounts without "from".</summary>
    string? FindRepositoryWithBlob(Digest digest, string except);
    Task<WriteOutcome> UnlinkBlobAsync(string repository, Digest digest, WriteGuard guard);

    // Manifests and tags.
    StoredManifest? GetManifest(string repository, Digest digest);
    TaggedManifest? ResolveTag(string repository, string tag);
    Task<WriteOutcome> PutManifestAsync(ManifestToStore manifest, WriteGuard guard);
    Task<WriteOutcome> DeleteTagAsync(string repository, string tag, WriteGuard guard, string? actor);
    Task<WriteOutcome> DeleteManifestAsync(string repository, Digest digest, WriteGuard guard, string? actor);
    /// <summary>Tags in ASCIIbetical order after <paramref name="last"/>; null when the repository is unknown.</summary>
    Page? ListTags(string repository, string? last, int limit);
    /// <summary>Changes whenever anything commits (in any process); lets callers cache what they read.</summary>
    long ChangeVersion();

    IReadOnlyList<TagMove> TagHistory(string repository, string tag, int limit);

    /// <summary>Manifests in the repository whose subject is <paramref name="subject"/>, ordered by digest.</summary>
    IReadOnlyList<Descriptor> ListReferrers(string repository, Digest subject);

    // Upload sessions.
    Task CreateUploadAsync(UploadSession session);
    UploadSession? GetUpload(string id);
    Task TouchUploadAsync(string id, DateTimeOffset at);
    Task DeleteUploadAsync(string id);
    IReadOnlyList<string> ExpiredUploads(DateTimeOffset idleSince);
}
