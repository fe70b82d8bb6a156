namespace Berth.Oci.Errors;

/// <summary>
/// A failed registry operation: the HTTP status, and either a spec error code (rendered as the spec's
/// JSON error body) or, for statuses the code list does not cover (412, 416, 428), plain text.
/// </summary>
public sealed record RegistryError(int Status, ErrorCode? Code, string Message)
{
    /// <summary>Extra response headers, e.g. the current ETag as a hint on 412 or Range on 416.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>Optional structured detail for the JSON body.</summary>
    public object? Detail { get; init; }

    public static RegistryError BlobUnknown(string digest) => new(404, ErrorCode.BlobUnknown, $"blob unknown to registry: {digest}");
    public static RegistryError BlobUploadUnknown() => new(404, ErrorCode.BlobUploadUnknown, "blob upload unknown to registry");
    public static RegistryError BlobUploadInvalid(string why) => new(400, ErrorCode.BlobUploadInvalid, why);
    public static RegistryError DigestInvalid(string why) => new(400, ErrorCode.DigestInvalid, why);
    public static RegistryError ManifestUnknown(string reference) => new(404, ErrorCode.ManifestUnknown, $"manifest unknown: {reference}");
    public static RegistryError ManifestInvalid(string why) => new(400, ErrorCode.ManifestInvalid, why);
    public static RegistryError ManifestBlobUnknown(string digest) =>
        new(400, ErrorCode.ManifestBlobUnknown, $"manifest references unknown blob or manifest: {digest}") { Detail = new { digest } };
    public static RegistryError NameInvalid(string why) => new(400, ErrorCode.NameInvalid, why);
    public static RegistryError NameUnknown(string name) => new(404, ErrorCode.NameUnknown, $"repository name not known to registry: {name}");
    public static RegistryError SizeInvalid(string why) => new(400, ErrorCode.SizeInvalid, why);
    public static RegistryError Unsupported(string why, int status = 400) => new(status, ErrorCode.Unsupported, why);
    public static RegistryError TooLarge(string why) => new(413, ErrorCode.SizeInvalid, why);

    /// <summary>RFC 9110 §15.5.13. No spec code exists for it, so the body is prose.</summary>
    public static RegistryError PreconditionFailed(string why, string? currentEntityTag) => new(412, null, why)
    {
        Headers = currentEntityTag is null ? null : new Dictionary<string, string> { ["ETag"] = currentEntityTag },
    };

    /// <summary>RFC 6585 §3: the repository's policy requires a conditional request.</summary>
    public static RegistryError PreconditionRequired(string why, string? currentEntityTag) => new(428, null, why)
    {
        Headers = currentEntityTag is null ? null : new Dictionary<string, string> { ["ETag"] = currentEntityTag },
    };

    /// <summary>A malformed HTTP header that we refuse to guess about (no spec code fits).</summary>
    public static RegistryError BadHeader(string why) => new(400, null, why);
}
