using System.Text;
using Berth.Oci.Digests;
using Berth.Oci.Manifests;
using Berth.Oci.Preconditions;
using Berth.Storage.Metadata;

namespace Berth.Storage.Tests;

/// <summary>Digests, manifests to store and write guards, built the way the registry builds them.</summary>
internal static class StoredContent
{
    public static Digest BlobDigest(string name) => Digest.Compute(DigestAlgorithm.Sha256, Encoding.UTF8.GetBytes("blob:" + name));

    /// <summary>An image manifest whose bytes are unique to <paramref name="body"/>.</summary>
    public static ManifestToStore Manifest(string repository, string body, IReadOnlyList<string>? tags = null,
        IReadOnlyList<Digest>? blobs = null, IReadOnlyList<Digest>? children = null, Digest? subject = null,
        string? artifactType = null, SortedDictionary<string, string>? annotations = null, string? actor = null)
    {
        var mediaType = children is { Count: > 0 } ? MediaTypes.OciIndex : MediaTypes.OciManifest;
        var content = Encoding.UTF8.GetBytes($$"""{"schemaVersion":2,"mediaType":"{{mediaType}}","body":"{{body}}"}""");
        return new ManifestToStore
        {
            Repository = repository,
            Digest = Digest.Compute(DigestAlgorithm.Sha256, content),
            MediaType = mediaType,
            Content = content,
            Parsed = new ParsedManifest
            {
                MediaType = mediaType,
                Blobs = blobs ?? [],
                Manifests = children ?? [],
                Subject = subject,
                ArtifactType = artifactType,
                Annotations = annotations,
            },
            Tags = tags ?? [],
            Actor = actor,
        };
    }

    public static WriteGuard IfMatch(params Digest[] digests) => Guard(ifMatch: Quoted(digests));

    public static WriteGuard IfMatchAny => new() { Preconditions = new RequestPreconditions { IfMatch = EntityTagList.Any } };

    public static WriteGuard IfNoneMatchAny => new() { Preconditions = new RequestPreconditions { IfNoneMatch = EntityTagList.Any } };

    public static WriteGuard IfNoneMatch(params Digest[] digests) => Guard(ifNoneMatch: Quoted(digests));

    private static string Quoted(Digest[] digests) => string.Join(", ", digests.Select(d => $"\"{d}\""));

    private static WriteGuard Guard(string? ifMatch = null, string? ifNoneMatch = null)
    {
        var preconditions = RequestPreconditions.ForWrite(
            ifMatch is null ? [] : [ifMatch], ifNoneMatch is null ? [] : [ifNoneMatch], null, out var error);
        Assert.Null(error);
        return new WriteGuard { Preconditions = preconditions! };
    }
}
