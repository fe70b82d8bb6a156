using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text;

namespace Berth.Storage.Configuration;

/// <summary>
/// Where and how to reach an S3-compatible bucket (AWS S3, Ceph RADOS Gateway, MinIO...). Credentials:
/// <see cref="AccessKeyId"/>/<see cref="SecretAccessKey"/> when set, otherwise the AWS SDK's default
/// chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY environment variables, profile, instance role).
/// </summary>
public sealed record S3StorageOptions : IValidatableObject
{
    public string Bucket { get; init; } = "";

    /// <summary>A custom endpoint (e.g. "http://127.0.0.1:7480"); null for AWS itself.</summary>
    public string? ServiceUrl { get; init; }

    /// <summary>The region requests are signed for; "us-east-1" when null with a custom endpoint.</summary>
    public string? Region { get; init; }

    /// <summary>Path-style addressing (endpoint/bucket/key) instead of virtual-host (bucket.endpoint/key); most non-AWS stores need it.</summary>
    public bool ForcePathStyle { get; init; }

    public string? AccessKeyId { get; init; }
    [PasswordPropertyText(true)]
    public string? SecretAccessKey { get; init; }
    [PasswordPropertyText(true)]
    public string? SessionToken { get; init; }

    /// <summary>Keys are stored under this prefix, so one bucket can hold several registries.</summary>
    public string KeyPrefix { get; init; } = "";

    /// <summary>Answer blob GETs with 307 to a presigned URL instead of streaming the bytes (off by default).</summary>
    public bool Redirect { get; init; }

    public TimeSpan RedirectUrlLifetime { get; init; } = TimeSpan.FromMinutes(20);

    /// <summary>
    /// Upload bytes are stored in segments of this size (the last one smaller); at completion they become
    /// the parts of a multipart upload, so it must be at least S3's 5 MiB minimum part size and at most
    /// 2 GiB (it is buffered in memory). 10,000 parts of 16 MiB allow blobs up to 156 GiB.
    /// </summary>
    public int SegmentBytes { get; init; } = 16 << 20;

    /// <summary>Attempts after a failed request (the SDK's own retry with back-off).</summary>
    public int MaxErrorRetry { get; init; } = 3;

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(Bucket)) yield return new ValidationResult("an S3 bucket name is required", [nameof(Bucket)]);
        if (ServiceUrl is not null && !Uri.TryCreate(ServiceUrl, UriKind.Absolute, out _))
        {
            yield return new ValidationResult("must be an absolute URL", [nameof(ServiceUrl)]);
        }
        if ((AccessKeyId is null) != (SecretAccessKey is null))
        {
            yield return new ValidationResult("accessKeyId and secretAccessKey go together", [nameof(AccessKeyId), nameof(SecretAccessKey)]);
        }
        // S3 multipart parts other than the last must be at least 5 MiB; segments are buffered in memory.
        if (SegmentBytes is < 5 << 20) yield return new ValidationResult("must be at least 5 MiB (5242880)", [nameof(SegmentBytes)]);
    }

    // Records print every property; the secret and session token must never reach a log.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"Bucket = {Bucket}, ServiceUrl = {ServiceUrl}, Region = {Region}, ForcePathStyle = {ForcePathStyle}, ");
        builder.Append($"AccessKeyId = {AccessKeyId}, SecretAccessKey = {(SecretAccessKey is null ? "" : "***")}, ");
        builder.Append($"SessionToken = {(SessionToken is null ? "" : "***")}, KeyPrefix = {KeyPrefix}, Redirect = {Redirect}");
        return true;
    }
}
