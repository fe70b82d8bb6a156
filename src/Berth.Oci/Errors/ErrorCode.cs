namespace Berth.Oci.Errors;

/// <summary>
/// The error codes of distribution-spec "Error Codes" (code-1 … code-14). The list is closed: a JSON
/// error body must use one of these, which is why precondition failures (412/428) use a plain-text body.
/// </summary>
public enum ErrorCode
{
    BlobUnknown,
    BlobUploadInvalid,
    BlobUploadUnknown,
    DigestInvalid,
    ManifestBlobUnknown,
    ManifestInvalid,
    ManifestUnknown,
    NameInvalid,
    NameUnknown,
    SizeInvalid,
    Unauthorized,
    Denied,
    Unsupported,
    TooManyRequests,
}

public static class ErrorCodeText
{
    public static string Of(ErrorCode code) => code switch
    {
        ErrorCode.BlobUnknown => "BLOB_UNKNOWN",
        ErrorCode.BlobUploadInvalid => "BLOB_UPLOAD_INVALID",
        ErrorCode.BlobUploadUnknown => "BLOB_UPLOAD_UNKNOWN",
        ErrorCode.DigestInvalid => "DIGEST_INVALID",
        ErrorCode.ManifestBlobUnknown => "MANIFEST_BLOB_UNKNOWN",
        ErrorCode.ManifestInvalid => "MANIFEST_INVALID",
        ErrorCode.ManifestUnknown => "MANIFEST_UNKNOWN",
        ErrorCode.NameInvalid => "NAME_INVALID",
        ErrorCode.NameUnknown => "NAME_UNKNOWN",
        ErrorCode.SizeInvalid => "SIZE_INVALID",
        ErrorCode.Unauthorized => "UNAUTHORIZED",
        ErrorCode.Denied => "DENIED",
        ErrorCode.Unsupported => "UNSUPPORTED",
        ErrorCode.TooManyRequests => "TOOMANYREQUESTS",
        _ => throw new ArgumentOutOfRangeException(nameof(code)),
    };
}
