using Berth.Oci.Digests;
using Berth.Oci.Preconditions;
using Berth.Storage.Events;

namespace Berth.Storage.Metadata;

public sealed partial class SqliteMetadataStore
{
    public bool IsBlobLinked(string repository, Digest digest) => Read(c =>
        Scalar(c, null, """
            SELECT 1 FROM repository_blobs b JOIN repositories r ON r.id = b.repository_id
            WHERE r.name = $name AND b.digest = $digest
            """, ("$name", repository), ("$digest", digest.ToString())) is not null);

    public Task<bool> LinkBlobAsync(string repository, Digest digest, Func<ValueTask<bool>> contentPresent, BlobArrival? arrival = null) => WriteAsync((c, t) =>
    {
        // SQLite's writer runs its jobs synchronously; with the data folder's own blob store the check
        // completes at once, and only the rare SQLite-with-object-store setup waits here.
        var present = contentPresent();
        if (!(present.IsCompletedSuccessfully ? present.Result : present.AsTask().GetAwaiter().GetResult())) return (false, false);
        var id = EnsureRepository(c, t, repository);
        // A re-push refreshes the link's time: garbage collection's grace period must count from the
        // latest upload, or a layer re-pushed for a new manifest could be collected before that manifest lands.
        Execute(c, t, """
            INSERT INTO repository_blobs (repository_id, digest, linked_at) VALUES ($id, $digest, $now)
            ON CONFLICT (repository_id, digest) DO UPDATE SET linked_at = excluded.linked_at
            """,
            ("$id", id), ("$digest", digest.ToString()), ("$now", Now()));
        if (arrival is not null && RecordsEvents) RecordEvents(c, t, [ChangeSet.ForBlobArrival(repository, digest, arrival)]);
        return (true, true);
    });

    public string? FindRepositoryWithBlob(Digest digest, string except) => Read(c =>
        (string?)Scalar(c, null, """
            SELECT r.name FROM repository_blobs b JOIN repositories r ON r.id = b.repository_id
            WHERE b.digest = $digest AND r.name <> $except LIMIT 1
            """, ("$digest", digest.ToString()), ("$except", except)));

    public Task<WriteOutcome> UnlinkBlobAsync(string repository, Digest digest, WriteGuard guard) => WriteAsync((c, t) =>
    {
        var id = RepositoryId(c, t, repository);
        var linked = id is not null && Scalar(c, t, "SELECT 1 FROM repository_blobs WHERE repository_id = $id AND digest = $digest",
            ("$id", id), ("$digest", digest.ToString())) is not null;
        if (!linked) return (new WriteOutcome(WriteStatus.NotFound), false);
        var verdict = guard.Check(WriteGuard.DigestTarget(digest, exists: true), tag: null);
        if (verdict != GuardVerdict.Allow) return (WriteOutcome.From(verdict, digest), false);
        Execute(c, t, "DELETE FROM repository_blobs WHERE repository_id = $id AND digest = $digest", ("$id", id), ("$digest", digest.ToString()));
        if (RecordsEvents) RecordEvents(c, t, [new RepositoryChange(ChangeKind.BlobDeleted, repository, digest)]);
        return (WriteOutcome.Done, true);
    });
}
