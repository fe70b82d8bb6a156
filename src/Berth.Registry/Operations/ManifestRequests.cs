using Berth.Oci.Digests;
using Berth.Oci.Preconditions;
using Berth.Storage.Metadata;

namespace Berth.Registry.Operations;

/// <summary>A manifest to serve, with the precondition outcome decided.</summary>
public sealed record ManifestRead(StoredManifest Manifest, bool ByTag, DateTimeOffset? LastModified, PreconditionOutcome Outcome)
{
    public EntityTag EntityTag => EntityTag.ForDigest(Manifest.Digest);
}

/// <summary>A manifest PUT (end-7a/7b) as the server received it.</summary>
public sealed record ManifestPut
{
    public required string Name { get; init; }
    public required string Reference { get; init; }
    public string? ContentType { get; init; }
    public required Stream Body { get; init; }
    public long? ContentLength { get; init; }

    /// <summary>Extra tags from "?tag=" parameters of a push by digest.</summary>
    public IReadOnlyList<string> QueryTags { get; init; } = [];

    public RequestPreconditions Preconditions { get; init; } = RequestPreconditions.None;
    public string? Actor { get; init; }
}

public sealed record ManifestWritten(Digest Digest, Digest? Subject, IReadOnlyList<string> Tags);
