using Npgsql;

namespace Berth.Storage.PostgreSql;

public sealed partial class PostgreSqlMetadataStore
{
    // Why a change counter read per request rather than LISTEN/NOTIFY: a notification arrives some time
    // after the commit, so a replica could still serve its cache to a client that has just been told 201
    // by another replica; and notifications sent while the listening connection was down are lost, which
    // needs a resync path that is hard to test. A counter updated inside each write transaction becomes
    // visible atomically with the write, so "read the counter, then the data" can never label data older
    // than the counter says: once a write is acknowledged, every later ChangeVersion() anywhere differs
    // from any version a stale cache entry carries. The cost is one primary-key read of 16 rows per
    // cached request. The counter is sharded by repository so that writers to different repositories
    // do not queue on one row lock; the version is the sum, which grows whenever any shard does.

    /// <summary>
    /// Changes whenever a write commits (on any replica) that can change what tag lists, manifests,
    /// referrers or the catalog show. Upload sessions and blob links, which nothing caches, do not count.
    /// </summary>
    public long ChangeVersion() => Read(c => (long)Scalar(c, "SELECT sum(version)::bigint FROM change_counters")!);

    /// <summary>
    /// Bumps the repository's shard inside the caller's transaction. Called last in a write, so the
    /// row lock is held only for the commit itself.
    /// </summary>
    private static Task BumpChangeVersionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string repository) =>
        ExecuteAsync(connection, transaction, "UPDATE change_counters SET version = version + 1 WHERE shard = (hashtext(@repository) & 15)",
            ("repository", repository));
}
