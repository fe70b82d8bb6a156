using Berth.Oci.Digests;

namespace Berth.Storage.Events;

public enum ChangeKind
{
    /// <summary>A manifest was pushed, under <see cref="RepositoryChange.Tag"/> or by digest.</summary>
    ManifestPushed,
    /// <summary>An existing tag now points at another manifest (<see cref="RepositoryChange.PreviousDigest"/> before).</summary>
    TagMoved,
    TagDeleted,
    ManifestDeleted,
    BlobPushed,
    /// <summary>A blob stored for another repository was linked here (<see cref="RepositoryChange.FromRepository"/>).</summary>
    BlobMounted,
    BlobDeleted,
    /// <summary>A manifest was read (reported by the server after a GET; not a write, so not transactional).</summary>
    ManifestPulled,
    /// <summary>A blob was read (as <see cref="ManifestPulled"/>).</summary>
    BlobPulled,
}

/// <summary>
/// A fact a write established, as the store saw it inside the write's transaction (or a read the server reports):
/// what an event reports. Decided there and not by the caller, because only the transaction knows, for instance, which digest a
/// tag pointed at before it moved, or which tags went with a deleted manifest.
/// </summary>
public sealed record RepositoryChange(ChangeKind Kind, string Repository, Digest Digest)
{
    public string? Tag { get; init; }

    /// <summary>The manifest's media type; null for blobs (they have none of their own).</summary>
    public string? MediaType { get; init; }

    /// <summary>Bytes of the manifest or blob, when the write knew it.</summary>
    public long? Size { get; init; }

    public Digest? PreviousDigest { get; init; }

    public string? FromRepository { get; init; }

    /// <summary>Who made the write, when authenticated.</summary>
    public string? Actor { get; init; }
}

/// <summary>
/// What the caller of a blob link knows that the store does not: the blob's size, whether it was mounted rather than
/// uploaded, and the repository named as the mount's source (null for a mount without "from", whose source the
/// caller is not told).
/// </summary>
public sealed record BlobArrival(long Size, bool Mounted = false, string? MountedFrom = null, string? Actor = null);
