using Berth.Oci.Digests;
using Berth.Oci.Manifests;

namespace Berth.Storage.Metadata;

/// <summary>A manifest as stored: the exact bytes pushed and the Content-Type they were pushed with.</summary>
public sealed record StoredManifest(Digest Digest, string MediaType, byte[] Content);

/// <summary>A manifest reached through a tag, with the time the tag last moved (its Last-Modified).</summary>
public sealed record TaggedManifest(StoredManifest Manifest, DateTimeOffset TagUpdatedAt);

/// <summary>Everything to record for a manifest push, computed before the transaction starts.</summary>
public sealed record ManifestToStore
{
    public required string Repository { get; init; }
    public required Digest Digest { get; init; }
    public required string MediaType { get; init; }
    public required byte[] Content { get; init; }
    public required ParsedManifest Parsed { get; init; }

    /// <summary>Tags to point at the manifest (none for a push by digest).</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Who pushed, for the tag history.</summary>
    public string? Actor { get; init; }

    /// <summary>
    /// A manifest a pull-through cache fetched from its upstream: the blobs and child manifests it references
    /// are fetched when they are pulled, so they need not be stored yet (a push must have them first).
    /// </summary>
    public bool ReferencesFetchedLater { get; init; }
}

public sealed record UploadSession(string Id, string Repository, DigestAlgorithm Algorithm, DateTimeOffset StartedAt, DateTimeOffset UpdatedAt);

public sealed record TagMove(string Tag, Digest? OldDigest, Digest? NewDigest, DateTimeOffset At, string? Actor);

/// <summary>One page of a name listing (tags, repositories).</summary>
public sealed record Page(IReadOnlyList<string> Items, bool HasMore);
