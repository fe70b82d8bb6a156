using System.Text.Json;
using Berth.Oci.Digests;
using Berth.Oci.Manifests;
using Berth.Oci.Preconditions;
using Berth.Storage.Events;
using Microsoft.Data.Sqlite;

namespace Berth.Storage.Metadata;

public sealed partial class SqliteMetadataStore
{
    public StoredManifest? GetManifest(string repository, Digest digest) => Read(c =>
    {
        using var command = Command(c, null, """
            SELECT mc.media_type, mc.content FROM repository_manifests rm
            JOIN repositories r ON r.id = rm.repository_id
            JOIN manifest_contents mc ON mc.digest = rm.digest
            WHERE r.name = $name AND rm.digest = $digest
            """, ("$name", repository), ("$digest", digest.ToString()));
        using var reader = command.ExecuteReader();
        return reader.Read() ? new StoredManifest(digest, reader.GetString(0), (byte[])reader.GetValue(1)) : null;
    });

    public TaggedManifest? ResolveTag(string repository, string tag) => Read(c =>
    {
        using var command = Command(c, null, """
            SELECT t.digest, t.updated_at, mc.media_type, mc.content FROM tags t
            JOIN repositories r ON r.id = t.repository_id
            JOIN manifest_contents mc ON mc.digest = t.digest
            WHERE r.name = $name AND t.name = $tag
            """, ("$name", repository), ("$tag", tag));
        using var reader = command.ExecuteReader();
        if (!reader.Read()) return null;
        var manifest = new StoredManifest(Digest.Parse(reader.GetString(0)), reader.GetString(2), (byte[])reader.GetValue(3));
        return new TaggedManifest(manifest, Time(reader.GetInt64(1)));
    });

    public Task<WriteOutcome> PutManifestAsync(ManifestToStore manifest, WriteGuard guard) => WriteAsync((c, t) =>
    {
        var repositoryId = EnsureRepository(c, t, manifest.Repository);
        var digest = manifest.Digest.ToString();

        // Re-checked here rather than trusted from before the transaction: a concurrent delete of a
        // layer must not leave a manifest whose blobs vanished.
        foreach (var blob in manifest.ReferencesFetchedLater ? [] : manifest.Parsed.Blobs)
        {
            if (Scalar(c, t, "SELECT 1 FROM repository_blobs WHERE repository_id = $id AND digest = $digest",
                    ("$id", repositoryId), ("$digest", blob.ToString())) is null)
            {
                return (new WriteOutcome(WriteStatus.MissingReference, MissingReference: blob), false);
            }
        }
        foreach (var child in manifest.ReferencesFetchedLater ? [] : manifest.Parsed.Manifests)
        {
            if (Scalar(c, t, "SELECT 1 FROM repository_manifests WHERE repository_id = $id AND digest = $digest",
                    ("$id", repositoryId), ("$digest", child.ToString())) is null)
            {
                return (new WriteOutcome(WriteStatus.MissingReference, MissingReference: child), false);
            }
        }

        var previousDigests = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (manifest.Tags.Count == 0)
        {
            var exists = Scalar(c, t, "SELECT 1 FROM repository_manifests WHERE repository_id = $id AND digest = $digest",
                ("$id", repositoryId), ("$digest", digest)) is not null;
            var verdict = guard.Check(WriteGuard.DigestTarget(manifest.Digest, exists), tag: null);
            if (verdict != GuardVerdict.Allow) return (WriteOutcome.From(verdict, exists ? manifest.Digest : null), false);
        }
        foreach (var tag in manifest.Tags)
        {
            var (state, current) = TagState(c, t, repositoryId, tag);
            var verdict = guard.Check(state, tag);
            if (verdict != GuardVerdict.Allow) return (WriteOutcome.From(verdict, current), false);
            previousDigests[tag] = current?.ToString();
        }

        var now = Now();
        Execute(c, t, """
            INSERT OR IGNORE INTO manifest_contents (digest, media_type, content, artifact_type, annotations)
            VALUES ($digest, $mediaType, $content, $artifactType, $annotations)
            """,
            ("$digest", digest), ("$mediaType", manifest.MediaType), ("$content", manifest.Content),
            ("$artifactType", manifest.Parsed.ArtifactType),
            ("$annotations", manifest.Parsed.Annotations is { Count: > 0 } a ? JsonSerializer.Serialize(a, AnnotationsJson.Default.SortedDictionaryStringString) : null));
        Execute(c, t, """
            INSERT INTO repository_manifests (repository_id, digest, subject, pushed_at)
            VALUES ($id, $digest, $subject, $now)
            ON CONFLICT (repository_id, digest) DO UPDATE SET pushed_at = excluded.pushed_at
            """, ("$id", repositoryId), ("$digest", digest), ("$subject", manifest.Parsed.Subject?.ToString()), ("$now", now));
        foreach (var reference in manifest.Parsed.Blobs.Concat(manifest.Parsed.Manifests))
        {
            Execute(c, t, "INSERT OR IGNORE INTO manifest_references (digest, reference) VALUES ($digest, $reference)",
                ("$digest", digest), ("$reference", reference.ToString()));
        }
        var changes = RecordsEvents && !manifest.ReferencesFetchedLater ? ChangeSet.ForPush(manifest, previousDigests) : null;
        foreach (var tag in manifest.Tags)
        {
            var previous = previousDigests[tag];
            if (previous == digest) continue; // Re-pushing the same manifest does not move the tag.
            Execute(c, t, """
                INSERT INTO tags (repository_id, name, digest, updated_at) VALUES ($id, $tag, $digest, $now)
                ON CONFLICT (repository_id, name) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at
                """, ("$id", repositoryId), ("$tag", tag), ("$digest", digest), ("$now", now));
            RecordMove(c, t, repositoryId, tag, previous, digest, now, manifest.Actor);
        }
        RecordEvents(c, t, changes);
        return (WriteOutcome.Done, true);
    });

    public Task<WriteOutcome> DeleteTagAsync(string repository, string tag, WriteGuard guard, string? actor) => WriteAsync((c, t) =>
    {
        var repositoryId = RepositoryId(c, t, repository);
        if (repositoryId is null) return (new WriteOutcome(WriteStatus.NotFound), false);
        var (state, current) = TagState(c, t, repositoryId.Value, tag);
        // RFC 9110 §13.2.1: a request that would be 404 without preconditions stays 404.
        if (!state.Exists) return (new WriteOutcome(WriteStatus.NotFound), false);
        var verdict = guard.Check(state, tag);
        if (verdict != GuardVerdict.Allow) return (WriteOutcome.From(verdict, current), false);
        Execute(c, t, "DELETE FROM tags WHERE repository_id = $id AND name = $tag", ("$id", repositoryId), ("$tag", tag));
        RecordMove(c, t, repositoryId.Value, tag, current!.ToString(), null, Now(), actor);
        if (RecordsEvents) RecordEvents(c, t, [new RepositoryChange(ChangeKind.TagDeleted, repository, current!.Value) { Tag = tag, Actor = actor }]);
        return (WriteOutcome.Done, true);
    });

    public Task<WriteOutcome> DeleteManifestAsync(string repository, Digest digest, WriteGuard guard, string? actor) => WriteAsync((c, t) =>
    {
        var repositoryId = RepositoryId(c, t, repository);
        var text = digest.ToString();
        if (repositoryId is null || Scalar(c, t, "SELECT 1 FROM repository_manifests WHERE repository_id = $id AND digest = $digest",
                ("$id", repositoryId), ("$digest", text)) is null)
        {
            return (new WriteOutcome(WriteStatus.NotFound), false);
        }
        var verdict = guard.Check(WriteGuard.DigestTarget(digest, exists: true), tag: null);
        if (verdict != GuardVerdict.Allow) return (WriteOutcome.From(verdict, digest), false);

        // The manifest's tags go with it, inside the same transaction that a tag CAS would need.
        var tags = new List<string>();
        using (var command = Command(c, t, "SELECT name FROM tags WHERE repository_id = $id AND digest = $digest", ("$id", repositoryId), ("$digest", text)))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read()) tags.Add(reader.GetString(0));
        }
        // Each tag deleted with the manifest is a tag delete, subject to that tag's policies.
        foreach (var tag in tags)
        {
            var tagVerdict = guard.CheckExistingTag(tag);
            if (tagVerdict != GuardVerdict.Allow) return (WriteOutcome.From(tagVerdict, digest), false);
        }
        var now = Now();
        foreach (var tag in tags) RecordMove(c, t, repositoryId.Value, tag, text, null, now, actor);
        Execute(c, t, "DELETE FROM tags WHERE repository_id = $id AND digest = $digest", ("$id", repositoryId), ("$digest", text));
        Execute(c, t, "DELETE FROM repository_manifests WHERE repository_id = $id AND digest = $digest", ("$id", repositoryId), ("$digest", text));
        if (RecordsEvents) RecordEvents(c, t, ChangeSet.ForManifestDelete(repository, digest, tags, actor));
        return (WriteOutcome.Done, true);
    });

    public Page? ListTags(string repository, string? last, int limit) => Read(c =>
    {
        var repositoryId = RepositoryId(c, null, repository);
        // BINARY collation orders by bytes: the spec's "lexical (ASCIIbetical)" order.
        return repositoryId is null
            ? null
            : ReadPage(c, "SELECT name FROM tags WHERE repository_id = $id AND name > $last ORDER BY name LIMIT $limit", last, limit, ("$id", repositoryId));
    });

    public long ChangeVersion() => _version.Read();

    public IReadOnlyList<TagMove> TagHistory(string repository, string tag, int limit) => Read(c =>
    {
        using var command = Command(c, null, """
            SELECT h.old_digest, h.new_digest, h.at, h.actor FROM tag_history h JOIN repositories r ON r.id = h.repository_id
            WHERE r.name = $name AND h.tag = $tag ORDER BY h.id DESC LIMIT $limit
            """, ("$name", repository), ("$tag", tag), ("$limit", limit));
        using var reader = command.ExecuteReader();
        var moves = new List<TagMove>();
        while (reader.Read())
        {
            moves.Add(new TagMove(tag,
                reader.IsDBNull(0) ? null : Digest.Parse(reader.GetString(0)),
                reader.IsDBNull(1) ? null : Digest.Parse(reader.GetString(1)),
                Time(reader.GetInt64(2)),
                reader.IsDBNull(3) ? null : reader.GetString(3)));
        }
        return (IReadOnlyList<TagMove>)moves;
    });

    public IReadOnlyList<Descriptor> ListReferrers(string repository, Digest subject) => Read(c =>
    {
        using var command = Command(c, null, """
            SELECT rm.digest, mc.media_type, length(mc.content), mc.artifact_type, mc.annotations
            FROM repository_manifests rm
            JOIN repositories r ON r.id = rm.repository_id
            JOIN manifest_contents mc ON mc.digest = rm.digest
            WHERE r.name = $name AND rm.subject = $subject
            ORDER BY rm.digest
            """, ("$name", repository), ("$subject", subject.ToString()));
        using var reader = command.ExecuteReader();
        var descriptors = new List<Descriptor>();
        while (reader.Read())
        {
            descriptors.Add(new Descriptor
            {
                Digest = reader.GetString(0),
                MediaType = reader.GetString(1),
                Size = reader.GetInt64(2),
                ArtifactType = reader.IsDBNull(3) ? null : reader.GetString(3),
                Annotations = reader.IsDBNull(4) ? null : JsonSerializer.Deserialize(reader.GetString(4), AnnotationsJson.Default.SortedDictionaryStringString),
            });
        }
        return (IReadOnlyList<Descriptor>)descriptors;
    });

    private static (ResourceState State, Digest? Current) TagState(SqliteConnection c, SqliteTransaction t, long repositoryId, string tag)
    {
        using var command = Command(c, t, "SELECT digest, updated_at FROM tags WHERE repository_id = $id AND name = $tag", ("$id", repositoryId), ("$tag", tag));
        using var reader = command.ExecuteReader();
        if (!reader.Read()) return (WriteGuard.TagTarget(null, null), null);
        var digest = Digest.Parse(reader.GetString(0));
        return (WriteGuard.TagTarget(digest, Time(reader.GetInt64(1))), digest);
    }

    private static void RecordMove(SqliteConnection c, SqliteTransaction t, long repositoryId, string tag, string? oldDigest, string? newDigest, long at, string? actor) =>
        Execute(c, t, """
            INSERT INTO tag_history (repository_id, tag, old_digest, new_digest, at, actor)
            VALUES ($id, $tag, $old, $new, $at, $actor)
            """, ("$id", repositoryId), ("$tag", tag), ("$old", oldDigest), ("$new", newDigest), ("$at", at), ("$actor", actor));
}
