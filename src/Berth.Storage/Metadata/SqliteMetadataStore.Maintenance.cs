using Berth.Oci.Digests;

namespace Berth.Storage.Metadata;

public sealed partial class SqliteMetadataStore : IMetadataMaintenance
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
            WHERE b.linked_at < $cutoff AND NOT {BlobIsReferenced}
            """, linkedBefore));

    public Task<bool> RemoveBlobLinkIfUnreferencedAsync(Collectable link, DateTimeOffset linkedBefore) => WriteAsync((c, t) =>
    {
        var removed = Execute(c, t, $"""
            DELETE FROM repository_blobs AS b
            WHERE b.repository_id = (SELECT id FROM repositories WHERE name = $name) AND b.digest = $digest
              AND b.linked_at < $cutoff AND NOT {BlobIsReferenced}
            """, ("$name", link.Repository), ("$digest", link.Digest.ToString()), ("$cutoff", linkedBefore.ToUnixTimeMilliseconds()));
        return (removed > 0, true);
    });

    public IReadOnlyList<Collectable> UntaggedManifests(DateTimeOffset pushedBefore, Func<string, bool> repositoryFilter) => Read(c =>
        ReadCollectables(c, $"""
            SELECT r.name, m.digest FROM repository_manifests m JOIN repositories r ON r.id = m.repository_id
            WHERE m.pushed_at < $cutoff AND NOT {ManifestIsKept}
            """, pushedBefore).Where(m => repositoryFilter(m.Repository)).ToList());

    public Task<bool> RemoveManifestIfUntaggedAsync(Collectable manifest, DateTimeOffset pushedBefore) => WriteAsync((c, t) =>
    {
        var removed = Execute(c, t, $"""
            DELETE FROM repository_manifests AS m
            WHERE m.repository_id = (SELECT id FROM repositories WHERE name = $name) AND m.digest = $digest
              AND m.pushed_at < $cutoff AND NOT {ManifestIsKept}
            """, ("$name", manifest.Repository), ("$digest", manifest.Digest.ToString()), ("$cutoff", pushedBefore.ToUnixTimeMilliseconds()));
        return (removed > 0, true);
    });

    public Task<int> RemoveOrphanManifestContentsAsync() => WriteAsync((c, t) =>
    {
        Execute(c, t, """
            DELETE FROM manifest_references WHERE digest NOT IN (SELECT digest FROM repository_manifests)
            """);
        var removed = Execute(c, t, """
            DELETE FROM manifest_contents WHERE digest NOT IN (SELECT digest FROM repository_manifests)
            """);
        return (removed, true);
    });

    public Task<IReadOnlyDictionary<Digest, long>> DeleteBlobsIfUnlinkedAsync(IReadOnlyList<Digest> digests,
        Func<IReadOnlyList<Digest>, ValueTask<IReadOnlyDictionary<Digest, long>>> delete) => WriteAsync((c, t) =>
    {
        // The single writer is the lock: no link is written while this transaction runs.
        var unlinked = digests.Where(digest =>
            Scalar(c, t, "SELECT 1 FROM repository_blobs WHERE digest = $digest LIMIT 1", ("$digest", digest.ToString())) is null).ToList();
        if (unlinked.Count == 0) return (NothingFreed, false);
        // The callback runs inside the transaction, on the writer thread: the filesystem store completes at
        // once; a networked store blocks the writer for its requests, which only garbage collection pays.
        var pending = delete(unlinked);
        return (pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult(), true);
    });

    private static readonly IReadOnlyDictionary<Digest, long> NothingFreed = new Dictionary<Digest, long>();

    public int CountBlobLinks(Digest digest) => Read(c =>
        Convert.ToInt32(Scalar(c, null, "SELECT count(*) FROM repository_blobs WHERE digest = $digest", ("$digest", digest.ToString()))));

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
    /// One collector per database file in this process. Processes sharing a data folder are not
    /// excluded from each other; that is harmless because every removal is a guarded transaction anyway.
    /// </summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, SemaphoreSlim> CollectorLocks = new(StringComparer.Ordinal);

    public async Task<IAsyncDisposable?> TryAcquireCollectorLockAsync(CancellationToken cancellationToken = default)
    {
        var gate = CollectorLocks.GetOrAdd(_databasePath, _ => new SemaphoreSlim(1, 1));
        return await gate.WaitAsync(TimeSpan.Zero, cancellationToken) ? new CollectorLock(gate) : null;
    }

    private sealed class CollectorLock(SemaphoreSlim gate) : IAsyncDisposable
    {
        private int _released;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) gate.Release();
            return ValueTask.CompletedTask;
        }
    }

    private static List<Collectable> ReadCollectables(Microsoft.Data.Sqlite.SqliteConnection c, string sql, DateTimeOffset? cutoff)
    {
        using var command = cutoff is { } value
            ? Command(c, null, sql, ("$cutoff", value.ToUnixTimeMilliseconds()))
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
