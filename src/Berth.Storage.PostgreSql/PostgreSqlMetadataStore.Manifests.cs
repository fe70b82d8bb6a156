using System.Text.Json;
using Berth.Oci.Digests;
using Berth.Oci.Manifests;
using Berth.Oci.Preconditions;
using Berth.Storage.Events;
using Berth.Storage.Metadata;
using Npgsql;

namespace Berth.Storage.PostgreSql;

public sealed partial class PostgreSqlMetadataStore
{
    public StoredManifest? GetManifest(string repository, Digest digest) => Read(c =>
    {
        using var command = Command(c, null, """
            SELECT mc.media_type, mc.content FROM repository_manifests rm
            JOIN repositories r ON r.id = rm.repository_id
            JOIN manifest_contents mc ON mc.digest = rm.digest
            WHERE r.name = @name AND rm.digest = @digest
            """, ("name", repository), ("digest", digest.ToString()));
        using var reader = command.ExecuteReader();
        return reader.Read() ? new StoredManifest(digest, reader.GetString(0), reader.GetFieldValue<byte[]>(1)) : null;
    });

    public TaggedManifest? ResolveTag(string repository, string tag) => Read(c =>
    {
        using var command = Command(c, null, """
            SELECT t.digest, t.updated_at, mc.media_type, mc.content FROM tags t
            JOIN repositories r ON r.id = t.repository_id
            JOIN manifest_contents mc ON mc.digest = t.digest
            WHERE r.name = @name AND t.name = @tag
            """, ("name", repository), ("tag", tag));
        using var reader = command.ExecuteReader();
        if (!reader.Read()) return null;
        var manifest = new StoredManifest(Digest.Parse(reader.GetString(0)), reader.GetString(2), reader.GetFieldValue<byte[]>(3));
        return new TaggedManifest(manifest, Time(reader.GetInt64(1)));
    });

    public Task<WriteOutcome> PutManifestAsync(ManifestToStore manifest, WriteGuard guard) => WriteAsync(async (c, t) =>
    {
        // Shared with every other push; the collector's removal of orphaned manifest bytes takes it
        // exclusively, so bytes this push is about to reference cannot vanish under it.
        await ExecuteAsync(c, t, $"SELECT pg_advisory_xact_lock_shared({AdvisoryLocks.ManifestContents}, 0)");
        var (repositoryId, _) = await EnsureRepositoryAsync(c, t, manifest.Repository);
        var digest = manifest.Digest.ToString();

        // Re-checked here rather than trusted from before the transaction, and locked (FOR SHARE) until
        // the commit: a concurrent unlink or collection of a layer or child waits for this push, then
        // sees the new reference; or it went first, and this push finds the reference missing.
        if (!manifest.ReferencesFetchedLater
            && await FirstUnlockableAsync(c, t, "repository_blobs", repositoryId, manifest.Parsed.Blobs) is { } blob)
        {
            return (new WriteOutcome(WriteStatus.MissingReference, MissingReference: blob), false);
        }
        if (!manifest.ReferencesFetchedLater
            && await FirstUnlockableAsync(c, t, "repository_manifests", repositoryId, manifest.Parsed.Manifests) is { } child)
        {
            return (new WriteOutcome(WriteStatus.MissingReference, MissingReference: child), false);
        }

        var now = Now();
        if (manifest.Tags.Count == 0)
        {
            // A push by digest: the target is the manifest itself (If-None-Match: * is the support probe).
            var (state, _) = await ClaimManifestAsync(c, t, repositoryId, manifest, now);
            var verdict = guard.Check(state, tag: null);
            if (verdict != GuardVerdict.Allow) return (WriteOutcome.From(verdict, state.Exists ? manifest.Digest : null), false);
        }

        // Tags are claimed in ordinal order so two multi-tag pushes cannot deadlock on each other.
        var previousDigests = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var tag in manifest.Tags.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var (state, current, verdict) = await ClaimTagAsync(c, t, repositoryId, tag, digest, now, guard);
            if (verdict != GuardVerdict.Allow) return (WriteOutcome.From(verdict, current), false);
            previousDigests[tag] = state.Exists ? current!.ToString() : null;
        }

        await ExecuteAsync(c, t, """
            INSERT INTO manifest_contents (digest, media_type, content, artifact_type, annotations)
            VALUES (@digest, @mediaType, @content, @artifactType, @annotations)
            ON CONFLICT (digest) DO NOTHING
            """,
            ("digest", digest), ("mediaType", manifest.MediaType), ("content", manifest.Content),
            ("artifactType", manifest.Parsed.ArtifactType),
            ("annotations", manifest.Parsed.Annotations is { Count: > 0 } a ? JsonSerializer.Serialize(a, AnnotationsJson.Default.SortedDictionaryStringString) : null));
        // Upserting the row also locks it: a collector or a DELETE of this manifest queues behind this push.
        await ExecuteAsync(c, t, """
            INSERT INTO repository_manifests (repository_id, digest, subject, pushed_at)
            VALUES (@id, @digest, @subject, @now)
            ON CONFLICT (repository_id, digest) DO UPDATE SET pushed_at = excluded.pushed_at
            """, ("id", repositoryId), ("digest", digest), ("subject", manifest.Parsed.Subject?.ToString()), ("now", now));
        var references = manifest.Parsed.Blobs.Concat(manifest.Parsed.Manifests).Select(d => d.ToString()).Distinct().ToArray();
        if (references.Length > 0)
        {
            await ExecuteAsync(c, t, """
                INSERT INTO manifest_references (digest, reference) SELECT @digest, unnest(@references)
                ON CONFLICT DO NOTHING
                """, ("digest", digest), ("references", references));
        }
        var changes = RecordsEvents && !manifest.ReferencesFetchedLater ? ChangeSet.ForPush(manifest, previousDigests) : null;
        foreach (var (tag, previous) in previousDigests)
        {
            if (previous == digest) continue; // Re-pushing the same manifest does not move the tag.
            if (previous is not null)
            {
                await ExecuteAsync(c, t, "UPDATE tags SET digest = @digest, updated_at = @now WHERE repository_id = @id AND name = @tag",
                    ("id", repositoryId), ("tag", tag), ("digest", digest), ("now", now));
            }
            await RecordMoveAsync(c, t, repositoryId, tag, previous, digest, now, manifest.Actor);
        }
        await BumpChangeVersionAsync(c, t);
        await RecordEventsAsync(c, t, repositoryId, changes);
        return (WriteOutcome.Done, true);
    });

    public Task<WriteOutcome> DeleteTagAsync(string repository, string tag, WriteGuard guard, string? actor) => WriteAsync(async (c, t) =>
    {
        var repositoryId = await RepositoryIdAsync(c, t, repository);
        if (repositoryId is null) return (new WriteOutcome(WriteStatus.NotFound), false);
        var (state, current) = await LockTagAsync(c, t, repositoryId.Value, tag);
        // RFC 9110 §13.2.1: a request that would be 404 without preconditions stays 404.
        if (!state.Exists) return (new WriteOutcome(WriteStatus.NotFound), false);
        var verdict = guard.Check(state, tag);
        if (verdict != GuardVerdict.Allow) return (WriteOutcome.From(verdict, current), false);
        await ExecuteAsync(c, t, "DELETE FROM tags WHERE repository_id = @id AND name = @tag", ("id", repositoryId), ("tag", tag));
        await RecordMoveAsync(c, t, repositoryId.Value, tag, current!.ToString(), null, Now(), actor);
        await BumpChangeVersionAsync(c, t);
        if (RecordsEvents)
        {
            await RecordEventsAsync(c, t, repositoryId.Value, [new RepositoryChange(ChangeKind.TagDeleted, repository, current!.Value) { Tag = tag, Actor = actor }]);
        }
        return (WriteOutcome.Done, true);
    });

    public Task<WriteOutcome> DeleteManifestAsync(string repository, Digest digest, WriteGuard guard, string? actor) => WriteAsync(async (c, t) =>
    {
        var repositoryId = await RepositoryIdAsync(c, t, repository);
        var text = digest.ToString();
        // Locking the manifest row makes pushes of this manifest (which upsert it) and of indexes that
        // include it (which lock it FOR SHARE) wait for this delete, and vice versa.
        if (repositoryId is null || await ScalarAsync(c, t,
                "SELECT 1 FROM repository_manifests WHERE repository_id = @id AND digest = @digest FOR UPDATE",
                ("id", repositoryId), ("digest", text)) is null)
        {
            return (new WriteOutcome(WriteStatus.NotFound), false);
        }
        var verdict = guard.Check(ResourceState.Present(EntityTag.ForDigest(digest)), tag: null);
        if (verdict != GuardVerdict.Allow) return (WriteOutcome.From(verdict, digest), false);

        // The manifest's tags go with it, locked like a tag CAS would lock them: a tag being moved away
        // concurrently is re-checked after that move commits and is then no longer selected.
        var tags = await StringsAsync(c, t, "SELECT name FROM tags WHERE repository_id = @id AND digest = @digest ORDER BY name FOR UPDATE",
            ("id", repositoryId), ("digest", text));
        // Each tag deleted with the manifest is a tag delete, subject to that tag's policies.
        foreach (var tag in tags)
        {
            var tagVerdict = guard.CheckExistingTag(tag);
            if (tagVerdict != GuardVerdict.Allow) return (WriteOutcome.From(tagVerdict, digest), false);
        }
        var now = Now();
        foreach (var tag in tags) await RecordMoveAsync(c, t, repositoryId.Value, tag, text, null, now, actor);
        await ExecuteAsync(c, t, "DELETE FROM tags WHERE repository_id = @id AND digest = @digest", ("id", repositoryId), ("digest", text));
        await ExecuteAsync(c, t, "DELETE FROM repository_manifests WHERE repository_id = @id AND digest = @digest", ("id", repositoryId), ("digest", text));
        await BumpChangeVersionAsync(c, t);
        if (RecordsEvents) await RecordEventsAsync(c, t, repositoryId.Value, ChangeSet.ForManifestDelete(repository, digest, tags, actor));
        return (WriteOutcome.Done, true);
    });

    public Page? ListTags(string repository, string? last, int limit) => Read(c =>
    {
        var repositoryId = RepositoryId(c, repository);
        if (repositoryId is null) return null;
        // The "C" collation of tags.name orders by bytes: the spec's "lexical (ASCIIbetical)" order.
        return ReadPage(c, "SELECT name FROM tags WHERE repository_id = @id AND name > @last ORDER BY name LIMIT @limit",
            last, limit, ("id", repositoryId.Value));
    });

    public IReadOnlyList<TagMove> TagHistory(string repository, string tag, int limit) => Read(c =>
    {
        using var command = Command(c, null, """
            SELECT h.old_digest, h.new_digest, h.at, h.actor FROM tag_history h JOIN repositories r ON r.id = h.repository_id
            WHERE r.name = @name AND h.tag = @tag ORDER BY h.id DESC LIMIT @limit
            """, ("name", repository), ("tag", tag), ("limit", (long)limit));
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
            SELECT rm.digest, mc.media_type, octet_length(mc.content)::bigint, mc.artifact_type, mc.annotations
            FROM repository_manifests rm
            JOIN repositories r ON r.id = rm.repository_id
            JOIN manifest_contents mc ON mc.digest = rm.digest
            WHERE r.name = @name AND rm.subject = @subject
            ORDER BY rm.digest
            """, ("name", repository), ("subject", subject.ToString()));
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

    /// <summary>
    /// Locks the rows of <paramref name="table"/> (repository_blobs or repository_manifests) for the
    /// given digests FOR SHARE and returns the first digest, in the manifest's order, that has none.
    /// </summary>
    private static async Task<Digest?> FirstUnlockableAsync(NpgsqlConnection c, NpgsqlTransaction t, string table, long repositoryId, IReadOnlyList<Digest> digests)
    {
        if (digests.Count == 0) return null;
        var present = (await StringsAsync(c, t,
            $"SELECT digest FROM {table} WHERE repository_id = @id AND digest = ANY(@digests) ORDER BY digest FOR SHARE",
            ("id", repositoryId), ("digests", digests.Select(d => d.ToString()).Distinct().ToArray()))).ToHashSet(StringComparer.Ordinal);
        foreach (var digest in digests)
        {
            if (!present.Contains(digest.ToString())) return digest;
        }
        return null;
    }

    /// <summary>
    /// For a push by digest: the manifest row's state, locked. A missing row is created right away
    /// (ON CONFLICT DO NOTHING), so of two concurrent creators exactly one sees "missing"; the other
    /// waits for it and then sees "present". Created is false when the row existed.
    /// </summary>
    private static async Task<(ResourceState State, bool Created)> ClaimManifestAsync(NpgsqlConnection c, NpgsqlTransaction t, long repositoryId,
        ManifestToStore manifest, long now)
    {
        var digest = manifest.Digest.ToString();
        while (true)
        {
            if (await ScalarAsync(c, t, "SELECT 1 FROM repository_manifests WHERE repository_id = @id AND digest = @digest FOR UPDATE",
                    ("id", repositoryId), ("digest", digest)) is not null)
            {
                return (ResourceState.Present(EntityTag.ForDigest(manifest.Digest)), false);
            }
            var inserted = await ExecuteAsync(c, t, """
                INSERT INTO repository_manifests (repository_id, digest, subject, pushed_at) VALUES (@id, @digest, @subject, @now)
                ON CONFLICT (repository_id, digest) DO NOTHING
                """, ("id", repositoryId), ("digest", digest), ("subject", manifest.Parsed.Subject?.ToString()), ("now", now));
            if (inserted > 0) return (ResourceState.Missing, true);
        }
    }

    /// <summary>
    /// Decides a tag's precondition on its latest committed state and keeps it that way until the
    /// commit. An existing tag row is locked FOR UPDATE (READ COMMITTED re-reads it after waiting for
    /// another writer). A missing tag, if the guard allows creating it, is inserted at once with the
    /// new digest; when another transaction inserted it first, ON CONFLICT DO NOTHING waits for that
    /// one to finish and the loop re-reads the row it committed — so of 32 concurrent
    /// <c>If-None-Match: *</c> creates exactly one sees the tag missing.
    /// </summary>
    private static async Task<(ResourceState State, Digest? Current, GuardVerdict Verdict)> ClaimTagAsync(
        NpgsqlConnection c, NpgsqlTransaction t, long repositoryId, string tag, string newDigest, long now, WriteGuard guard)
    {
        while (true)
        {
            var (state, current) = await LockTagAsync(c, t, repositoryId, tag);
            var verdict = guard.Check(state, tag);
            if (state.Exists || verdict != GuardVerdict.Allow) return (state, current, verdict);
            var inserted = await ExecuteAsync(c, t, """
                INSERT INTO tags (repository_id, name, digest, updated_at) VALUES (@id, @tag, @digest, @now)
                ON CONFLICT (repository_id, name) DO NOTHING
                """, ("id", repositoryId), ("tag", tag), ("digest", newDigest), ("now", now));
            if (inserted > 0) return (state, null, verdict);
        }
    }

    private static async Task<(ResourceState State, Digest? Current)> LockTagAsync(NpgsqlConnection c, NpgsqlTransaction t, long repositoryId, string tag)
    {
        await using var command = Command(c, t, "SELECT digest, updated_at FROM tags WHERE repository_id = @id AND name = @tag FOR UPDATE",
            ("id", repositoryId), ("tag", tag));
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync()) return (ResourceState.Missing, null);
        var digest = Digest.Parse(reader.GetString(0));
        return (ResourceState.Present(EntityTag.ForDigest(digest), Time(reader.GetInt64(1))), digest);
    }

    private static Task RecordMoveAsync(NpgsqlConnection c, NpgsqlTransaction t, long repositoryId, string tag, string? oldDigest, string? newDigest, long at, string? actor) =>
        ExecuteAsync(c, t, """
            INSERT INTO tag_history (repository_id, tag, old_digest, new_digest, at, actor)
            VALUES (@id, @tag, @old, @new, @at, @actor)
            """, ("id", repositoryId), ("tag", tag), ("old", oldDigest), ("new", newDigest), ("at", at), ("actor", actor));
}
