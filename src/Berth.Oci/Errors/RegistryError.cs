using Berth.Oci.Auth;

namespace Berth.Oci.Errors;

/// <summary>
/// A failed registry operation: the HTTP status, and either a spec error code (rendered as the spec's
/// JSON error body) or, for statuses the code list does not cover (412, 416, 428), plain text. What a client
/// needs to recover travels as typed hints that the server turns into headers.
/// </summary>
public sealed record RegistryError(int Status, ErrorCode? Code, string Message)
{
    /// <summary>The resource's current ETag, sent with a 412 or 428 so the client can retry against it (RFC 9110 §13.1).</summary>
    public string? CurrentEntityTag { get; init; }

    /// <summary>The bytes an upload session holds, sent as its Range on a 416 so the client resumes from there.</summary>
    public long? CommittedLength { get; init; }

    /// <summary>When to come back after a 429 or 503 (RFC 9110 §10.2.3).</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Where and how to authenticate, with a 401.</summary>
    public AuthenticationChallenge? Challenge { get; init; }

    /// <summary>
    /// Optional structured detail for the JSON body. A string dictionary, not an anonymous object: the server's
    /// source-generated JSON serializes only the types it was told of (Berth.Server's ErrorResponse).
    /// </summary>
    public object? Detail { get; init; }

    public static RegistryError BlobUnknown(string digest) => new(404, ErrorCode.BlobUnknown, $"blob unknown to registry: {digest}");
    public static RegistryError BlobUploadUnknown() => new(404, ErrorCode.BlobUploadUnknown, "blob upload unknown to registry");
    public static RegistryError BlobUploadInvalid(string why) => new(400, ErrorCode.BlobUploadInvalid, why);
    public static RegistryError DigestInvalid(string why) => new(400, ErrorCode.DigestInvalid, why);
    public static RegistryError ManifestUnknown(string reference) => new(404, ErrorCode.ManifestUnknown, $"manifest unknown: {reference}");
    public static RegistryError ManifestInvalid(string why) => new(400, ErrorCode.ManifestInvalid, why);
    public static RegistryError ManifestBlobUnknown(string digest) =>
        new(400, ErrorCode.ManifestBlobUnknown, $"manifest references unknown blob or manifest: {digest}") { Detail = new Dictionary<string, string> { ["digest"] = digest } };
    public static RegistryError NameInvalid(string why) => new(400, ErrorCode.NameInvalid, why);
    public static RegistryError NameUnknown(string name) => new(404, ErrorCode.NameUnknown, $"repository name not known to registry: {name}");
    public static RegistryError SizeInvalid(string why) => new(400, ErrorCode.SizeInvalid, why);
    public static RegistryError Unsupported(string why, int status = 400) => new(status, ErrorCode.Unsupported, why);
    public static RegistryError TooLarge(string why) => new(413, ErrorCode.SizeInvalid, why);
    public static RegistryError Denied(string why) => new(403, ErrorCode.Denied, why);
    public static RegistryError Unauthorized(AuthenticationChallenge challenge) =>
        new(401, ErrorCode.Unauthorized, "authentication required") { Challenge = challenge };
    public static RegistryError TooManyRequests(string why, TimeSpan retryAfter) =>
        new(429, ErrorCode.TooManyRequests, why) { RetryAfter = retryAfter };

    /// <summary>RFC 9110 §15.6.4: a transient conflict inside the registry; the same request will succeed when retried.</summary>
    public static RegistryError Unavailable(string why) => new(503, null, why);

    /// <summary>
    /// A pull-through cache's upstream failed and the cache holds nothing it may serve instead. The spec's
    /// code list has no "unavailable" code; TOOMANYREQUESTS is the one whose client reaction (back off, then
    /// retry) fits, and the message names the upstream and what went wrong.
    /// </summary>
    public static RegistryError UpstreamUnavailable(string why) =>
        new(503, ErrorCode.TooManyRequests, why) { RetryAfter = TimeSpan.FromSeconds(5) };

    /// <summary>distribution-spec: a chunk that does not continue the upload gets 416 with the Range received so far.</summary>
    public static RegistryError UploadRangeNotSatisfiable(string why, long committedLength) =>
        new(416, ErrorCode.BlobUploadInvalid, why) { CommittedLength = committedLength };

    /// <summary>RFC 9110 §15.5.13. No spec code exists for it, so the body is prose.</summary>
    public static RegistryError PreconditionFailed(string why, string? currentEntityTag) =>
        new(412, null, why) { CurrentEntityTag = currentEntityTag };

    /// <summary>RFC 6585 §3: the repository's policy requires a conditional request.</summary>
    public static RegistryError PreconditionRequired(string why, string? currentEntityTag) =>
        new(428, null, why) { CurrentEntityTag = currentEntityTag };

    /// <summary>A malformed HTTP header that we refuse to guess about (no spec code fits).</summary>
    public static RegistryError BadHeader(string why) => new(400, null, why);
}
