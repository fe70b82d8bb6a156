using Npgsql;

namespace Berth.Storage.PostgreSql;

public sealed partial class PostgreSqlMetadataStore
{
    // Why a change counter read per request rather than LISTEN/NOTIFY: a notification arrives some time
    // after the commit, so a replica could still serve its cache to a client that has just been told 201
    // by another replica; and notifications sent while the listening connection was down are lost, which
    // needs a resync path that is hard to test. A counter updated inside each write transaction becomes
    // visible atomically with the write: every write adds exactly 1 to the sum, and a later snapshot sees
    // every commit an earlier one saw, so an equal sum means the same writes are visible. "Read the
    // version, then the data" therefore never labels data older than its version, and once a write is
    // acknowledged, every later ChangeVersion() on any replica differs from the label of any entry cached
    // before it. The cost is one query summing 64 rows per cached request.
    //
    // Each write bumps one shard picked at random: updating a single row would make every writer wait
    // for the previous writer's commit (and its fsync) to release the row lock, capping all replicas
    // together at one commit per disk flush.
    private const int ChangeCounterShards = 64;

    /// <summary>
    /// Changes whenever a write commits (on any replica) that can change what tag lists, manifests,
    /// referrers or the catalog show. Upload sessions and blob links, which nothing caches, do not count.
    /// </summary>
    public long ChangeVersion() => Read(c => (long)Scalar(c, "SELECT sum(version)::bigint FROM change_counters")!);

    /// <summary>
    /// Adds one to a random shard inside the caller's transaction. Call it once per transaction and
    /// last, so the row lock is held only for the commit itself.
    /// </summary>
    private static Task BumpChangeVersionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction) =>
        ExecuteAsync(connection, transaction, "UPDATE change_counters SET version = version + 1 WHERE shard = @shard",
            ("shard", Random.Shared.Next(ChangeCounterShards)));
}
