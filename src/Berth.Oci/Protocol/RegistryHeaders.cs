namespace Berth.Oci.Protocol;

/// <summary>
/// The header vocabulary of the distribution spec and of Berth's conditional-request contract, shared by the
/// server that writes these headers and the client that reads them. Standard HTTP headers are listed where the
/// registry protocol gives them a meaning of its own (an upload's Range, a page's Link).
/// </summary>
public static class RegistryHeaders
{
    /// <summary>Sent on every /v2/ response (distribution-spec "API version check").</summary>
    public const string ApiVersion = "Docker-Distribution-API-Version";
    public const string ApiVersionValue = "registry/2.0";

    public const string ContentDigest = "Docker-Content-Digest";
    public const string UploadUuid = "Docker-Upload-UUID";

    /// <summary>A pushed manifest's subject was recorded (distribution-spec "Pushing Manifests with Subject").</summary>
    public const string Subject = "OCI-Subject";

    /// <summary>The tags a manifest push with <c>?tag=</c> applied.</summary>
    public const string Tag = "OCI-Tag";

    /// <summary>Which filters a referrers response applied ("artifactType").</summary>
    public const string FiltersApplied = "OCI-Filters-Applied";

    /// <summary>
    /// The positive support signal proposed in opencontainers/distribution-spec PR #251: manifest and
    /// blob writes evaluate If-Match / If-None-Match atomically, and the ETag is the quoted digest.
    /// </summary>
    public const string ConditionalSupport = "OCI-Distribution-RFC7232";
    public const string ConditionalSupportValue = "yes";

    public const string ETag = "ETag";
    public const string Location = "Location";
    public const string Link = "Link";

    /// <summary>On upload responses, the bytes received so far as "0-&lt;last&gt;" (not an RFC 9110 range).</summary>
    public const string Range = "Range";

    /// <summary>On a PATCH of an upload chunk: "&lt;first&gt;-&lt;last&gt;" (again without the RFC 9110 unit).</summary>
    public const string ContentRange = "Content-Range";

    public const string RetryAfter = "Retry-After";
    public const string WwwAuthenticate = "WWW-Authenticate";

    /// <summary>
    /// The upload Range value for <paramref name="committedLength"/> bytes received. The spec writes an empty upload
    /// as "0-0" too, so a client tells the two apart from the upload's other state, never from this header.
    /// </summary>
    public static string UploadRange(long committedLength) => $"0-{Math.Max(0, committedLength - 1)}";
}
