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
