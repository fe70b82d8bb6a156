namespace Berth.Storage.Metadata;

/// <summary>The embedded metadata schema. Times are Unix milliseconds (UTC).</summary>
internal static class SqliteSchema
{
    public const string Create = """
        CREATE TABLE IF NOT EXISTS repositories (
            id          INTEGER PRIMARY KEY,
            name        TEXT NOT NULL UNIQUE,
            created_at  INTEGER NOT NULL
        );
        -- A blob is visible in a repository only where it was pushed or mounted.
        CREATE TABLE IF NOT EXISTS repository_blobs (
            repository_id INTEGER NOT NULL REFERENCES repositories(id),
            digest        TEXT NOT NULL,
            linked_at     INTEGER NOT NULL,
            PRIMARY KEY (repository_id, digest)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS repository_blobs_by_digest ON repository_blobs(digest);
        -- Manifest bytes, stored once per digest, exactly as pushed.
        CREATE TABLE IF NOT EXISTS manifest_contents (
            digest        TEXT PRIMARY KEY,
            media_type    TEXT NOT NULL,
            content       BLOB NOT NULL,
            artifact_type TEXT,
            annotations   TEXT
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS repository_manifests (
            repository_id INTEGER NOT NULL REFERENCES repositories(id),
            digest        TEXT NOT NULL,
            subject       TEXT,
            pushed_at     INTEGER NOT NULL,
            PRIMARY KEY (repository_id, digest)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS repository_manifests_by_subject ON repository_manifests(repository_id, subject) WHERE subject IS NOT NULL;
        -- What each manifest refers to (blobs and child manifests), for deletion checks and garbage collection.
        CREATE TABLE IF NOT EXISTS manifest_references (
            digest    TEXT NOT NULL,
            reference TEXT NOT NULL,
            PRIMARY KEY (digest, reference)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS tags (
            repository_id INTEGER NOT NULL REFERENCES repositories(id),
            name          TEXT NOT NULL,
            digest        TEXT NOT NULL,
            updated_at    INTEGER NOT NULL,
            PRIMARY KEY (repository_id, name)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS tags_by_digest ON tags(repository_id, digest);
        CREATE TABLE IF NOT EXISTS tag_history (
            id            INTEGER PRIMARY KEY,
            repository_id INTEGER NOT NULL REFERENCES repositories(id),
            tag           TEXT NOT NULL,
            old_digest    TEXT,
            new_digest    TEXT,
            at            INTEGER NOT NULL,
            actor         TEXT
        );
        CREATE INDEX IF NOT EXISTS tag_history_by_tag ON tag_history(repository_id, tag, id);
        CREATE TABLE IF NOT EXISTS uploads (
            id          TEXT PRIMARY KEY,
            repository  TEXT NOT NULL,
            algorithm   TEXT NOT NULL,
            started_at  INTEGER NOT NULL,
            updated_at  INTEGER NOT NULL
        ) WITHOUT ROWID;
        -- The transactional outbox of notification events (see IEventOutbox): rows are written by the write they
        -- report on, in its transaction. status 0 = pending, 1 = failed (given up).
        CREATE TABLE IF NOT EXISTS event_outbox (
            id              INTEGER PRIMARY KEY,
            endpoint        TEXT NOT NULL,
            repository      TEXT NOT NULL,
            action          TEXT NOT NULL,
            payload         BLOB NOT NULL,
            created_at      INTEGER NOT NULL,
            status          INTEGER NOT NULL DEFAULT 0,
            attempts        INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL,
            lease_owner     TEXT,
            lease_until     INTEGER,
            last_error      TEXT
        );
        CREATE INDEX IF NOT EXISTS event_outbox_pending ON event_outbox(endpoint, repository, id) WHERE status = 0;
        -- The web UI's Data Protection key ring (see IKeyRingStore): one XML element per row, never changed.
        CREATE TABLE IF NOT EXISTS ui_key_ring (
            name        TEXT PRIMARY KEY,
            xml         TEXT NOT NULL,
            created_at  INTEGER NOT NULL
        ) WITHOUT ROWID;
        """;
}
