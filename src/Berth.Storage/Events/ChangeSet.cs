using Berth.Oci.Digests;
using Berth.Storage.Metadata;

namespace Berth.Storage.Events;

/// <summary>The changes of each kind of write, built the same way by every metadata engine.</summary>
public static class ChangeSet
{
    /// <param name="previousDigests">Each pushed tag's digest before the push (null: the tag is new), read in the transaction.</param>
    public static IReadOnlyList<RepositoryChange> ForPush(ManifestToStore manifest, IReadOnlyDictionary<string, string?> previousDigests)
    {
        var pushed = new RepositoryChange(ChangeKind.ManifestPushed, manifest.Repository, manifest.Digest)
        {
            MediaType = manifest.MediaType,
            Size = manifest.Content.Length,
            Actor = manifest.Actor,
        };
        if (manifest.Tags.Count == 0) return [pushed];
        var changes = new List<RepositoryChange>(manifest.Tags.Count * 2);
        // One push event per tag, as CNCF Distribution sends for a push under several tags; a tag that pointed at
        // another manifest also gets the move, so a receiver sees what it pointed at before.
        foreach (var tag in manifest.Tags.Distinct(StringComparer.Ordinal))
        {
            changes.Add(pushed with { Tag = tag });
            if (previousDigests.GetValueOrDefault(tag) is { } previous && previous != manifest.Digest.ToString())
            {
                changes.Add(pushed with { Kind = ChangeKind.TagMoved, Tag = tag, PreviousDigest = Digest.Parse(previous) });
            }
        }
        return changes;
    }

    /// <summary>The manifest's delete and, after it, the delete of each tag that pointed at it and went with it.</summary>
    public static IReadOnlyList<RepositoryChange> ForManifestDelete(string repository, Digest digest, IEnumerable<string> tags, string? actor) =>
    [
        new RepositoryChange(ChangeKind.ManifestDeleted, repository, digest) { Actor = actor },
        .. tags.Order(StringComparer.Ordinal).Select(tag => new RepositoryChange(ChangeKind.TagDeleted, repository, digest) { Tag = tag, Actor = actor }),
    ];

    public static RepositoryChange ForBlobArrival(string repository, Digest digest, BlobArrival arrival) =>
        new(arrival.Mounted ? ChangeKind.BlobMounted : ChangeKind.BlobPushed, repository, digest)
        {
            Size = arrival.Size,
            FromRepository = arrival.MountedFrom,
            Actor = arrival.Actor,
        };
}
