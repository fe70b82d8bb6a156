using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text;

namespace Berth.Storage.Configuration;

/// <summary>Where blob bytes live (the <c>storage</c> section): the data folder, or an S3 or Azure Blob Storage bucket.</summary>
public sealed record StorageOptions : IValidatableObject
{
    public BlobStoreKind Kind { get; init; } = BlobStoreKind.FileSystem;

    /// <summary>For <see cref="BlobStoreKind.S3"/>.</summary>
    public S3StorageOptions? S3 { get; init; }

    /// <summary>For <see cref="BlobStoreKind.Azure"/>.</summary>
    public AzureStorageOptions? Azure { get; init; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Kind == BlobStoreKind.S3 && S3 is null)
        {
            yield return new ValidationResult("storage kind s3 needs the s3 section (at least its bucket)", [nameof(S3)]);
        }
        if (Kind == BlobStoreKind.Azure && Azure is null)
        {
            yield return new ValidationResult("storage kind azure needs the azure section (container, and connectionString or accountUrl)", [nameof(Azure)]);
        }
    }
}

public enum BlobStoreKind
{
    FileSystem,
    S3,
    Azure,
}

/// <summary>An S3-compatible bucket (AWS, Ceph RGW, MinIO...). Credentials left out come from the AWS SDK's usual chain.</summary>
public sealed record S3StorageOptions : IValidatableObject
{
    public string Bucket { get; init; } = "";

    /// <summary>Key prefix inside the bucket, so several registries can share one.</summary>
    public string Prefix { get; init; } = "";

    public string? Region { get; init; }

    /// <summary>Endpoint of a non-AWS service, e.g. http://rgw.local:7480.</summary>
    public string? ServiceUrl { get; init; }

    /// <summary>Path-style addressing (bucket in the path), which most non-AWS services need.</summary>
    public bool ForcePathStyle { get; init; }

    public string? AccessKeyId { get; init; }

    [PasswordPropertyText(true)]
    public string? SecretAccessKey { get; init; }

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
    }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"Bucket = {Bucket}, Prefix = {Prefix}, Region = {Region}, ServiceUrl = {ServiceUrl}, ForcePathStyle = {ForcePathStyle}, ")
            .Append($"AccessKeyId = {AccessKeyId}, SecretAccessKey = {(SecretAccessKey is null ? "null" : "***")}");
        return true;
    }
}

/// <summary>An Azure Blob Storage container, reached by connection string or by account URL with the default Azure credential.</summary>
public sealed record AzureStorageOptions : IValidatableObject
{
    public string Container { get; init; } = "";

    public string Prefix { get; init; } = "";

    [PasswordPropertyText(true)]
    public string? ConnectionString { get; init; }

    /// <summary>e.g. https://account.blob.core.windows.net, used when there is no connection string.</summary>
    public string? AccountUrl { get; init; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(Container)) yield return new ValidationResult("an Azure container name is required", [nameof(Container)]);
        if (ConnectionString is null && AccountUrl is null)
        {
            yield return new ValidationResult("needs connectionString or accountUrl", [nameof(ConnectionString), nameof(AccountUrl)]);
        }
        if (AccountUrl is not null && !Uri.TryCreate(AccountUrl, UriKind.Absolute, out _))
        {
            yield return new ValidationResult("must be an absolute URL", [nameof(AccountUrl)]);
        }
    }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"Container = {Container}, Prefix = {Prefix}, AccountUrl = {AccountUrl}, ")
            .Append($"ConnectionString = {(ConnectionString is null ? "null" : "***")}");
        return true;
    }
}
