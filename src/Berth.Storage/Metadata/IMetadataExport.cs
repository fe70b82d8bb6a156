using Berth.Oci.Digests;

namespace Berth.Storage.Metadata;

/// <summary>
/// Everything a repository holds, read back for copying a registry to another backend (<c>berth migrate</c>).
/// Not used on any request path: these read whole repositories.
/// </summary>
public interface IMetadataExport
{
    /// <summary>Blobs visible in the repository, ordered by digest.</summary>
    IReadOnlyList<Digest> LinkedBlobs(string repository);

    /// <summary>Digests of the manifests held in the repository, oldest push first.</summary>
    IReadOnlyList<Digest> ManifestDigests(string repository);

    /// <summary>Every tag with the digest it points at, ordered by tag.</summary>
    IReadOnlyList<(string Tag, Digest Digest)> Tags(string repository);
}
