using Berth.Oci.Digests;
using Berth.Storage.Metadata;
using Npgsql;

namespace Berth.Storage.PostgreSql;

// Removals follow one pattern, because at READ COMMITTED a DELETE that waited for a row lock does not
// re-run its NOT EXISTS sub-queries: first lock the candidate row (FOR UPDATE, which waits for any push
// holding it FOR SHARE), then, in a second statement with a fresh snapshot, delete it only if the reason
// for removing still holds. A push that committed first is then always seen; one that comes later finds
// the row gone and reports the missing reference.
public sealed partial class PostgreSqlMetadataStore
{
    private const string BlobIsReferenced = """
        EXISTS (SELECT 1 FROM repository_manifests rm JOIN manifest_references mr ON mr.digest = rm.digest
                WHERE rm.repository_id = b.repository_id AND mr.reference = b.digest)
        """;

    private const string ManifestIsKept = """
        (EXISTS (SELECT 1 FROM tags t WHERE t.repository_id = m.repository_id AND t.digest = m.digest)
         OR EXISTS (SELECT 1 FROM repository_manifests parent JOIN manifest_references mr ON mr.digest = parent.digest
                    WHERE parent.repository_id = m.repository_id AND mr.reference = m.digest)
         OR m.subject IS NOT NULL)
        """;

    public IReadOnlyList<Collectable> UnreferencedBlobLinks(DateTimeOffset linkedBefore) => Read(c =>
        ReadCollectables(c, $"""
            SELECT r.name, b.digest FROM repository_blobs b JOIN repositories r ON r.id = b.repository_id
            WHERE b.linked_at < @cutoff AND NOT {BlobIsReferenced}
            """, linkedBefore));

    public Task<bool> RemoveBlobLinkIfUnreferencedAsync(Collectable link, DateTimeOffset linkedBefore) => WriteAsync(async (c, t) =>
    {
        var id = await RepositoryIdAsync(c, t, link.Repository);
        if (id is null) return (false, false);
        var digest = link.Digest.ToString();
        await ExecuteAsync(c, t, "SELECT 1 FROM repository_blobs WHERE repository_id = @id AND digest = @digest FOR UPDATE", ("id", id), ("digest", digest));
        var removed = await ExecuteAsync(c, t, $"""
            DELETE FROM repository_blobs AS b
            WHERE b.repository_id = @id AND b.digest = @digest AND b.linked_at < @cutoff AND NOT {BlobIsReferenced}
            """, ("id", id), ("digest", digest), ("cutoff", linkedBefore.ToUnixTimeMilliseconds()));
        return (removed > 0, true);
    });

    public IReadOnlyList<Collectable> UntaggedManifests(DateTimeOffset pushedBefore, Func<string, bool> repositoryFilter) => Read(c =>
        ReadCollectables(c, $"""
            SELECT r.name, m.digest FROM repository_manifests m JOIN repositories r ON r.id = m.repository_id
            WHERE m.pushed_at < @cutoff AND NOT {ManifestIsKept}
            """, pushedBefore).Where(m => repositoryFilter(m.Repository)).ToList());

    public Task<bool> RemoveManifestIfUntaggedAsync(Collectable manifest, DateTimeOffset pushedBefore) => WriteAsync(async (c, t) =>
    {
        var id = await RepositoryIdAsync(c, t, manifest.Repository);
        if (id is null) return (false, false);
        var digest = manifest.Digest.ToString();
        await ExecuteAsync(c, t, "SELECT 1 FROM repository_manifests WHERE repository_id = @id AND digest = @digest FOR UPDATE", ("id", id), ("digest", digest));
        var removed = await ExecuteAsync(c, t, $"""
            DELETE FROM repository_manifests AS m
            WHERE m.repository_id = @id AND m.digest = @digest AND m.pushed_at < @cutoff AND NOT {ManifestIsKept}
            """, ("id", id), ("digest", digest), ("cutoff", pushedBefore.ToUnixTimeMilliseconds()));
        if (removed > 0) await BumpChangeVersionAsync(c, t);
        return (removed > 0, removed > 0);
    });

    public Task<int> RemoveOrphanManifestContentsAsync() => WriteAsync(async (c, t) =>
    {
        // Exclusive against every push in flight (they hold it shared): the statements below then see
        // every manifest row that references these bytes, and no push can re-reference them meanwhile.
        await ExecuteAsync(c, t, $"SELECT pg_advisory_xact_lock({AdvisoryLocks.ManifestContents}, 0)");
        await ExecuteAsync(c, t, """
            DELETE FROM manifest_references mr
            WHERE NOT EXISTS (SELECT 1 FROM repository_manifests rm WHERE rm.digest = mr.digest)
            """);
        var removed = await ExecuteAsync(c, t, """
            DELETE FROM manifest_contents mc
            WHERE NOT EXISTS (SELECT 1 FROM repository_manifests rm WHERE rm.digest = mc.digest)
            """);
        return (removed, true);
    });

    public Task<IReadOnlyDictionary<Digest, long>> DeleteBlobsIfUnlinkedAsync(IReadOnlyList<Digest> digests,
        Func<IReadOnlyList<Digest>, ValueTask<IReadOnlyDictionary<Digest, long>>> delete) => WriteAsync(async (c, t) =>
    {
        var keys = digests.Select(digest => digest.ToString()).ToArray();
        // Exclusive per digest: links in flight (shared holders) finish first and are seen below; new ones wait
        // until the bytes are gone, then find them missing. The locks are taken in ascending key order (a sorted
        // subquery is not flattened), so two batches in flight whose digests share a hash cannot deadlock; a
        // link holds only one such lock, so it cannot deadlock with a batch either.
        await ExecuteAsync(c, t, $"""
            SELECT pg_advisory_xact_lock({AdvisoryLocks.BlobContent}, ordered.key)
            FROM (SELECT DISTINCT hashtext(digest) AS key FROM unnest(@digests::text[]) AS digest ORDER BY key) AS ordered
            """, ("digests", keys));
        var linked = new HashSet<string>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand("SELECT DISTINCT digest FROM repository_blobs WHERE digest = ANY(@digests)", c, t))
        {
            command.Parameters.AddWithValue("digests", keys);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) linked.Add(reader.GetString(0));
        }
        var unlinked = digests.Where(digest => !linked.Contains(digest.ToString())).ToList();
        if (unlinked.Count == 0) return (NothingFreed, false);
        return (await delete(unlinked), true);
    });

    private static readonly IReadOnlyDictionary<Digest, long> NothingFreed = new Dictionary<Digest, long>();

    public int CountBlobLinks(Digest digest) => Read(c =>
        Convert.ToInt32(Scalar(c, "SELECT count(*) FROM repository_blobs WHERE digest = @digest", ("digest", digest.ToString()))));

    public IReadOnlyList<Collectable> ManifestBlobReferences() => Read(c =>
        ReadCollectables(c, """
            SELECT DISTINCT r.name, mr.reference FROM repository_manifests rm
            JOIN repositories r ON r.id = rm.repository_id
            JOIN manifest_references mr ON mr.digest = rm.digest
            WHERE NOT EXISTS (SELECT 1 FROM repository_manifests child
                              WHERE child.repository_id = rm.repository_id AND child.digest = mr.reference)
            """, null));

    public IReadOnlyList<(string Repository, string Tag, Digest Digest)> DanglingTags() => Read(c =>
    {
        using var command = Command(c, null, """
            SELECT r.name, t.name, t.digest FROM tags t JOIN repositories r ON r.id = t.repository_id
            WHERE NOT EXISTS (SELECT 1 FROM repository_manifests m WHERE m.repository_id = t.repository_id AND m.digest = t.digest)
            """);
        using var reader = command.ExecuteReader();
        var dangling = new List<(string, string, Digest)>();
        while (reader.Read()) dangling.Add((reader.GetString(0), reader.GetString(1), Digest.Parse(reader.GetString(2))));
        return (IReadOnlyList<(string, string, Digest)>)dangling;
    });

    /// <summary>
    /// A session advisory lock on a connection kept open for the collection: if this replica dies,
    /// PostgreSQL ends the session and releases the lock, so a crashed collector never blocks the others.
    /// </summary>
    public async Task<IAsyncDisposable?> TryAcquireCollectorLockAsync(CancellationToken cancellationToken = default)
    {
        NpgsqlConnection? connection = null;
        try
        {
            connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var command = new NpgsqlCommand($"SELECT pg_try_advisory_lock({AdvisoryLocks.Collector}, 0)", connection);
            if ((bool)(await command.ExecuteScalarAsync(cancellationToken))!) return new CollectorLock(connection);
            await connection.DisposeAsync();
            return null;
        }
        catch (Exception e) when (PostgreSqlFailures.IsUnavailable(e))
        {
            if (connection is not null) await connection.DisposeAsync();
            throw PostgreSqlFailures.Unavailable(e);
        }
    }

    private sealed class CollectorLock(NpgsqlConnection connection) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                // Unlock explicitly: the pooled connection's session lives on after Dispose.
                await using var command = new NpgsqlCommand($"SELECT pg_advisory_unlock({AdvisoryLocks.Collector}, 0)", connection);
                await command.ExecuteScalarAsync();
            }
            catch (Exception e) when (PostgreSqlFailures.IsUnavailable(e))
            {
                // The session is gone, and its lock with it.
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }
    }

    private static List<Collectable> ReadCollectables(NpgsqlConnection c, string sql, DateTimeOffset? cutoff)
    {
        using var command = cutoff is { } value
            ? Command(c, null, sql, ("cutoff", value.ToUnixTimeMilliseconds()))
            : Command(c, null, sql);
        using var reader = command.ExecuteReader();
        var items = new List<Collectable>();
        while (reader.Read())
        {
            if (Digest.TryParse(reader.GetString(1), out var digest)) items.Add(new Collectable(reader.GetString(0), digest));
        }
        return items;
    }
}
