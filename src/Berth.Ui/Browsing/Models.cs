using Berth.Oci.Digests;
using Berth.Storage.Metadata;

namespace Berth.Ui.Browsing;

public enum ManifestKind
{
    Image,
    Index,

    /// <summary>An image manifest with an artifactType or a non-image config (signature, SBOM, attestation...).</summary>
    Artifact,
}

/// <param name="StorageUsed">In bytes, see <see cref="RegistryBrowser.StorageUsed"/>.</param>
public sealed record RepositoryRow(string Name, int TagCount, long StorageUsed);

/// <summary>One page of repositories; <see cref="NextAfter"/> is the cursor of the next page, if any.</summary>
public sealed record RepositoryListing(IReadOnlyList<RepositoryRow> Rows, string? NextAfter);

/// <summary>What a list needs to know of a manifest: derived from content alone, so it is cached by digest.</summary>
public sealed record ManifestSummary(Digest Digest, string MediaType, ManifestKind Kind, long Size, IReadOnlyList<string> Platforms,
    string? ArtifactType);

public sealed record TagRow(string Tag, ManifestSummary Manifest, DateTimeOffset? MovedAt, string? MovedBy);

public sealed record TagListing(string Repository, IReadOnlyList<TagRow> Rows, int Total, int Matching, int Page, int PageCount);

public sealed record LayerRow(string MediaType, string Digest, long Size, IReadOnlyDictionary<string, string> Annotations);

public sealed record ChildManifest(string MediaType, string Digest, long Size, string? Platform, string? ArtifactType);

/// <summary>The parts of an image config people look for (config.Env is left out: it often holds secrets).</summary>
public sealed record ImageConfig(string? Created, string? Platform, IReadOnlyList<string> Entrypoint, IReadOnlyList<string> Cmd,
    string? WorkingDir, string? User, IReadOnlyDictionary<string, string> Labels, IReadOnlyList<string> ExposedPorts);

/// <summary>A referrer, with its own referrers (a signature of an SBOM), as the referrers API lists them.</summary>
public sealed record Referrer(string Digest, string MediaType, long Size, string ArtifactType, IReadOnlyDictionary<string, string> Annotations,
    IReadOnlyList<ReferrerGroup> Referrers);

public sealed record ReferrerGroup(string ArtifactType, IReadOnlyList<Referrer> Items);

public sealed record ManifestDetails
{
    public required string Repository { get; init; }
    public required string Reference { get; init; }
    public required ManifestSummary Summary { get; init; }
    public required byte[] Content { get; init; }
    public DateTimeOffset? TagMovedAt { get; init; }
    public string? ConfigMediaType { get; init; }
    public string? ConfigDigest { get; init; }
    public long? ConfigSize { get; init; }
    public ImageConfig? Config { get; init; }
    public IReadOnlyList<LayerRow> Layers { get; init; } = [];
    public IReadOnlyList<ChildManifest> Children { get; init; } = [];
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>();
    public string? Subject { get; init; }
    public IReadOnlyList<ReferrerGroup> Referrers { get; init; } = [];
}

public sealed record TagHistory(string Repository, string Tag, Digest? Current, IReadOnlyList<TagMove> Moves);
