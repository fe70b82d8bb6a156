using Berth.Oci.Digests;

namespace Berth.Storage.ObjectStores;

/// <summary>
/// The key layout inside a bucket or container, the same for every object store: blobs are
/// content-addressed (blobs/&lt;algorithm&gt;/&lt;first two hex&gt;/&lt;hex&gt;, as on disk), uploads in progress live
/// under uploads/&lt;id&gt;/. Keys are built only from validated digests and server-generated ids.
/// </summary>
public sealed class ObjectKeys(string prefix)
{
    public string Prefix { get; } = NormalizePrefix(prefix);

    public string BlobsFolder => Prefix + "blobs/";

    public string Blob(Digest digest) => $"{Prefix}blobs/{digest.Algorithm.Name}/{digest.Encoded[..2]}/{digest.Encoded}";

    /// <summary>The digest a blob key stands for, when listing for garbage collection.</summary>
    public bool TryParseBlob(string key, out Digest digest)
    {
        digest = default!;
        if (!key.StartsWith(BlobsFolder, StringComparison.Ordinal)) return false;
        var parts = key[BlobsFolder.Length..].Split('/');
        return parts.Length == 3 && Digest.TryParse($"{parts[0]}:{parts[2]}", out digest!);
    }

    public string UploadFolder(string uploadId) => $"{Prefix}uploads/{uploadId}/";

    public string Quarantine(Digest digest) =>
        $"{Prefix}quarantine/{digest.Algorithm.Name}-{digest.Encoded}-{DateTime.UtcNow:yyyyMMddTHHmmss}";

    private static string NormalizePrefix(string prefix)
    {
        var trimmed = prefix.Trim('/');
        return trimmed.Length == 0 ? "" : trimmed + "/";
    }
}
