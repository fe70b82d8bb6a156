using Berth.Oci.Digests;
using Berth.Oci.Preconditions;
using Berth.Storage.Events;
using Berth.Storage.Metadata;

namespace Berth.Storage.PostgreSql;

public sealed partial class PostgreSqlMetadataStore
{
    public bool IsBlobLinked(string repository, Digest digest) => Read(c =>
        Scalar(c, """
            SELECT 1 FROM repository_blobs b JOIN repositories r ON r.id = b.repository_id
            WHERE r.name = @name AND b.digest = @digest
            """, ("name", repository), ("digest", digest.ToString())) is not null);

    public Task<bool> LinkBlobAsync(string repository, Digest digest, Func<ValueTask<bool>> contentPresent, BlobArrival? arrival = null) =>
        WriteAsync(async (c, t) =>
    {
        // Shared per digest: the collector deletes the bytes only under the exclusive form of this
        // lock and only when no link exists, so the check below stays true until this link commits.
        await ExecuteAsync(c, t, $"SELECT pg_advisory_xact_lock_shared({AdvisoryLocks.BlobContent}, hashtext(@digest))", ("digest", digest.ToString()));
        if (!await contentPresent()) return (false, false);
        var (id, created) = await EnsureRepositoryAsync(c, t, repository);
        // A re-push refreshes the link's time: garbage collection's grace period must count from the
        // latest upload, or a layer re-pushed for a new manifest could be collected before that manifest lands.
        await ExecuteAsync(c, t, """
            INSERT INTO repository_blobs (repository_id, digest, linked_at) VALUES (@id, @digest, @now)
            ON CONFLICT (repository_id, digest) DO UPDATE SET linked_at = excluded.linked_at
            """, ("id", id), ("digest", digest.ToString()), ("now", Now()));
        if (created) await BumpChangeVersionAsync(c, t);
        if (arrival is not null && RecordsEvents) await RecordEventsAsync(c, t, id, [ChangeSet.ForBlobArrival(repository, digest, arrival)]);
        return (true, true);
    });

    public string? FindRepositoryWithBlob(Digest digest, string except) => Read(c =>
        (string?)Scalar(c, """
            SELECT r.name FROM repository_blobs b JOIN repositories r ON r.id = b.repository_id
            WHERE b.digest = @digest AND r.name <> @except LIMIT 1
            """, ("digest", digest.ToString()), ("except", except)));

    public Task<WriteOutcome> UnlinkBlobAsync(string repository, Digest digest, WriteGuard guard) => WriteAsync(async (c, t) =>
    {
        var id = await RepositoryIdAsync(c, t, repository);
        var linked = id is not null && await ScalarAsync(c, t,
            "SELECT 1 FROM repository_blobs WHERE repository_id = @id AND digest = @digest FOR UPDATE",
            ("id", id), ("digest", digest.ToString())) is not null;
        if (!linked) return (new WriteOutcome(WriteStatus.NotFound), false);
        var verdict = guard.Check(ResourceState.Present(EntityTag.ForDigest(digest)), tag: null);
        if (verdict != GuardVerdict.Allow) return (WriteOutcome.From(verdict, digest), false);
        await ExecuteAsync(c, t, "DELETE FROM repository_blobs WHERE repository_id = @id AND digest = @digest", ("id", id), ("digest", digest.ToString()));
        if (RecordsEvents) await RecordEventsAsync(c, t, id!.Value, [new RepositoryChange(ChangeKind.BlobDeleted, repository, digest)]);
        return (WriteOutcome.Done, true);
    });
}
