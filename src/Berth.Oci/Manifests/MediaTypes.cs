namespace Berth.Oci.Manifests;

/// <summary>Media types of the OCI image spec and Docker's schema 2.</summary>
public static class MediaTypes
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciEmpty = "application/vnd.oci.empty.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayer = "application/vnd.oci.image.layer.v1.tar";
    public const string OciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerForeignLayer = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
    public const string OciNonDistributableLayerPrefix = "application/vnd.oci.image.layer.nondistributable.";

    public static bool IsIndex(string mediaType) => mediaType is OciIndex or DockerManifestList;

    public static bool IsImageManifest(string mediaType) => mediaType is OciManifest or DockerManifest;

    public static bool IsKnownManifest(string mediaType) => IsIndex(mediaType) || IsImageManifest(mediaType);

    /// <summary>
    /// Layers that live outside the registry (Docker foreign layers, OCI non-distributable layers) need
    /// not exist in the repository.
    /// </summary>
    public static bool IsForeignLayer(string mediaType) =>
        mediaType == DockerForeignLayer || mediaType.StartsWith(OciNonDistributableLayerPrefix, StringComparison.Ordinal);

    /// <summary>Strips parameters ("; charset=…") from a Content-Type value.</summary>
    public static string Essence(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType)) return "";
        var semicolon = contentType.IndexOf(';');
        return (semicolon < 0 ? contentType : contentType[..semicolon]).Trim();
    }

    /// <summary>RFC 6838 §4.2 type/subtype shape, loosely: enough to refuse garbage.</summary>
    public static bool IsWellFormed(string? mediaType)
    {
        if (string.IsNullOrEmpty(mediaType) || mediaType.Length > 255) return false;
        var slash = mediaType.IndexOf('/');
        if (slash <= 0 || slash == mediaType.Length - 1 || mediaType.IndexOf('/', slash + 1) >= 0) return false;
        foreach (var c in mediaType)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '+' or '-' or '_' or '!' or '#' or '$' or '&' or '^')) return false;
        }
        return true;
    }
}
