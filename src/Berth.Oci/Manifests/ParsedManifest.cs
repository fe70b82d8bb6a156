using Berth.Oci.Digests;

namespace Berth.Oci.Manifests;

/// <summary>What the registry needs to know about a pushed manifest; the bytes themselves are kept as pushed.</summary>
public sealed record ParsedManifest
{
    /// <summary>The manifest's media type: the body's "mediaType", which must agree with Content-Type.</summary>
    public required string MediaType { get; init; }

    /// <summary>Blobs (config and layers) that must already be in the repository.</summary>
    public required IReadOnlyList<Digest> Blobs { get; init; }

    /// <summary>Child manifests of an index, which must already be in the repository.</summary>
    public required IReadOnlyList<Digest> Manifests { get; init; }

    /// <summary>The manifest this one refers to (distribution-spec "Listing Referrers"); it may dangle.</summary>
    public Digest? Subject { get; init; }

    /// <summary>The artifactType field, or else the config's media type (spec: referrers response rules).</summary>
    public string? ArtifactType { get; init; }

    public SortedDictionary<string, string>? Annotations { get; init; }
}
