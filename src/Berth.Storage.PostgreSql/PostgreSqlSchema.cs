using Berth.Storage.Metadata;
using Npgsql;

namespace Berth.Storage.PostgreSql;

/// <summary>
/// Versioned schema migrations for the PostgreSQL metadata store. Each migration runs in its own
/// transaction together with its row in <c>schema_version</c>, so a crash leaves the schema at a
/// version boundary; a session advisory lock serialises replicas that start (and migrate) at once.
/// Migrations are append-only: a released one is never edited, a change is a new version.
/// </summary>
public static class PostgreSqlSchema
{
    /// <summary>The newest schema this binary knows.</summary>
    public static int LatestVersion => Migrations.Length;

    // Times are Unix milliseconds (UTC), as in the embedded store. Names and digests use the "C"
    // collation: the spec's tag and catalog order is lexical by bytes (ASCIIbetical), whatever the
    // database's default locale is.
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE repositories (
            id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            name        text COLLATE "C" NOT NULL UNIQUE,
            created_at  bigint NOT NULL
        );
        -- A blob is visible in a repository only where it was pushed or mounted.
        CREATE TABLE repository_blobs (
            repository_id bigint NOT NULL REFERENCES repositories(id),
            digest        text COLLATE "C" NOT NULL,
            linked_at     bigint NOT NULL,
            PRIMARY KEY (repository_id, digest)
        );
        CREATE INDEX repository_blobs_by_digest ON repository_blobs(digest);
        -- Manifest bytes, stored once per digest, exactly as pushed.
        CREATE TABLE manifest_contents (
            digest        text COLLATE "C" PRIMARY KEY,
            media_type    text NOT NULL,
            content       bytea NOT NULL,
            artifact_type text,
            annotations   text
        );
        CREATE TABLE repository_manifests (
            repository_id bigint NOT NULL REFERENCES repositories(id),
            digest        text COLLATE "C" NOT NULL,
            subject       text COLLATE "C",
            pushed_at     bigint NOT NULL,
            PRIMARY KEY (repository_id, digest)
        );
        CREATE INDEX repository_manifests_by_subject ON repository_manifests(repository_id, subject) WHERE subject IS NOT NULL;
        CREATE INDEX repository_manifests_by_digest ON repository_manifests(digest);
        -- What each manifest refers to (blobs and child manifests), for deletion checks and garbage collection.
        CREATE TABLE manifest_references (
            digest    text COLLATE "C" NOT NULL,
            reference text COLLATE "C" NOT NULL,
            PRIMARY KEY (digest, reference)
        );
        CREATE INDEX manifest_references_by_reference ON manifest_references(reference);
        CREATE TABLE tags (
            repository_id bigint NOT NULL REFERENCES repositories(id),
            name          text COLLATE "C" NOT NULL,
            digest        text COLLATE "C" NOT NULL,
            updated_at    bigint NOT NULL,
            PRIMARY KEY (repository_id, name)
        );
        CREATE INDEX tags_by_digest ON tags(repository_id, digest);
        CREATE TABLE tag_history (
            id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            repository_id bigint NOT NULL REFERENCES repositories(id),
            tag           text COLLATE "C" NOT NULL,
            old_digest    text,
            new_digest    text,
            at            bigint NOT NULL,
            actor         text
        );
        CREATE INDEX tag_history_by_tag ON tag_history(repository_id, tag, id);
        CREATE TABLE uploads (
            id          text PRIMARY KEY,
            repository  text NOT NULL,
            algorithm   text NOT NULL,
            started_at  bigint NOT NULL,
            updated_at  bigint NOT NULL
        );
        CREATE INDEX uploads_by_updated_at ON uploads(updated_at);
        -- The cross-replica change version (see PostgreSqlMetadataStore.ChangeVersion): sharded so that
        -- concurrent writers do not queue on one row lock.
        CREATE TABLE change_counters (
            shard   integer PRIMARY KEY,
            version bigint NOT NULL
        );
        INSERT INTO change_counters (shard, version) SELECT s, 0 FROM generate_series(0, 63) AS s;
        """,
        """
        -- The transactional outbox of notification events (see IEventOutbox): rows are written by the write they
        -- report on, in its transaction. status 0 = pending, 1 = failed (given up).
        CREATE TABLE event_outbox (
            id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            endpoint        text COLLATE "C" NOT NULL,
            repository      text COLLATE "C" NOT NULL,
            action          text NOT NULL,
            payload         bytea NOT NULL,
            created_at      bigint NOT NULL,
            status          integer NOT NULL DEFAULT 0,
            attempts        integer NOT NULL DEFAULT 0,
            next_attempt_at bigint NOT NULL,
            lease_owner     text,
            lease_until     bigint,
            last_error      text
        );
        CREATE INDEX event_outbox_pending ON event_outbox(endpoint, repository, id) WHERE status = 0;
        """,
        """
        -- The web UI's Data Protection key ring (see IKeyRingStore): one XML element per row, never changed, shared by
        -- every replica so a session cookie made by one is accepted by all.
        CREATE TABLE ui_key_ring (
            name        text COLLATE "C" PRIMARY KEY,
            xml         text NOT NULL,
            created_at  bigint NOT NULL
        );
        """,
    ];

    /// <summary>
    /// Brings the schema to <see cref="LatestVersion"/>. Safe to run from several processes at once.
    /// Throws <see cref="PostgreSqlSchemaException"/> when the database is newer than this binary.
    /// </summary>
    public static async Task<SchemaMigration> MigrateAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await ExecuteAsync(connection, null, $"SELECT pg_advisory_lock({AdvisoryLocks.Migration}, 0)", cancellationToken);
            try
            {
                await ExecuteAsync(connection, null, """
                    CREATE TABLE IF NOT EXISTS schema_version (
                        version    integer PRIMARY KEY,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    )
                    """, cancellationToken);
                var from = await CurrentVersionAsync(connection, cancellationToken);
                RefuseNewer(from);
                for (var version = from + 1; version <= LatestVersion; version++)
                {
                    await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                    await ExecuteAsync(connection, transaction, Migrations[version - 1], cancellationToken);
                    await using (var record = new NpgsqlCommand("INSERT INTO schema_version (version) VALUES (@version)", connection, transaction))
                    {
                        record.Parameters.AddWithValue("version", version);
                        await record.ExecuteNonQueryAsync(cancellationToken);
                    }
                    await transaction.CommitAsync(cancellationToken);
                }
                return new SchemaMigration(from, LatestVersion);
            }
            finally
            {
                await ExecuteAsync(connection, null, $"SELECT pg_advisory_unlock({AdvisoryLocks.Migration}, 0)", CancellationToken.None);
            }
        }
        catch (Exception e) when (PostgreSqlFailures.IsUnavailable(e))
        {
            throw PostgreSqlFailures.Unavailable(e);
        }
    }

    /// <summary>The schema version the database is at: 0 when Berth never migrated it.</summary>
    public static async Task<int> CurrentVersionAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            return await CurrentVersionAsync(connection, cancellationToken);
        }
        catch (Exception e) when (PostgreSqlFailures.IsUnavailable(e))
        {
            throw PostgreSqlFailures.Unavailable(e);
        }
    }

    /// <summary>Fails unless the database is exactly at the version this binary uses.</summary>
    public static async Task EnsureCurrentAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        var version = await CurrentVersionAsync(dataSource, cancellationToken);
        RefuseNewer(version);
        if (version < LatestVersion)
        {
            throw new PostgreSqlSchemaException(
                $"the metadata database schema is at version {version}; this Berth needs version {LatestVersion}. Run `berth db migrate` first.");
        }
    }

    private static void RefuseNewer(int version)
    {
        if (version > LatestVersion)
        {
            throw new PostgreSqlSchemaException(
                $"the metadata database schema is at version {version}, newer than this Berth knows (version {LatestVersion}). " +
                "It was migrated by a newer Berth; run that version (downgrades are not supported).");
        }
    }

    private static async Task<int> CurrentVersionAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using (var exists = new NpgsqlCommand("SELECT to_regclass('schema_version') IS NOT NULL", connection))
        {
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken))!) return 0;
        }
        await using var command = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM schema_version", connection);
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken));
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>What a migration did: from which schema version to which.</summary>
public sealed record SchemaMigration(int FromVersion, int ToVersion)
{
    public bool Changed => FromVersion != ToVersion;
}
