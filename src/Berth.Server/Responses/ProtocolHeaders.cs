namespace Berth.Server.Responses;

/// <summary>Header names of the distribution spec and of Berth's conditional-request contract.</summary>
public static class ProtocolHeaders
{
    public const string ApiVersion = "Docker-Distribution-API-Version";
    public const string ApiVersionValue = "registry/2.0";
    public const string ContentDigest = "Docker-Content-Digest";
    public const string UploadUuid = "Docker-Upload-UUID";
    public const string Subject = "OCI-Subject";
    public const string Tag = "OCI-Tag";
    public const string FiltersApplied = "OCI-Filters-Applied";

    /// <summary>
    /// The positive support signal proposed in opencontainers/distribution-spec PR #251: manifest and
    /// blob writes evaluate If-Match / If-None-Match atomically, and the ETag is the quoted digest.
    /// </summary>
    public const string ConditionalSupport = "OCI-Distribution-RFC7232";

    /// <summary>By-digest content never changes (RFC 9111 §5.2.2.1, RFC 8246 immutable).</summary>
    public const string ImmutableCaching = "max-age=31536000, immutable";

    /// <summary>A tag may move at any time: revalidate every use. no-transform keeps the strong ETag true.</summary>
    public const string RevalidateCaching = "no-cache, no-transform";
}
