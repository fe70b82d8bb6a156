using System.Globalization;
using Berth.Storage.Configuration;

namespace Berth.Testing;

/// <summary>Store settings written as the BERTH_ environment variables the README documents.</summary>
public static class StoreVariables
{
    public static IReadOnlyDictionary<string, string> Of(MetadataOptions metadata, StorageOptions storage)
    {
        var variables = new Dictionary<string, string>();
        if (metadata.Kind == MetadataStoreKind.PostgreSql)
        {
            variables["BERTH_METADATA__KIND"] = "postgresql";
            variables["BERTH_METADATA__CONNECTION_STRING"] = metadata.ConnectionString ?? "";
        }
        if (storage is { Kind: BlobStoreKind.S3, S3: { } s3 })
        {
            variables["BERTH_STORAGE__KIND"] = "s3";
            variables["BERTH_STORAGE__S3__BUCKET"] = s3.Bucket;
            Set(variables, "BERTH_STORAGE__S3__SERVICE_URL", s3.ServiceUrl);
            Set(variables, "BERTH_STORAGE__S3__REGION", s3.Region);
            variables["BERTH_STORAGE__S3__FORCE_PATH_STYLE"] = s3.ForcePathStyle ? "true" : "false";
            Set(variables, "BERTH_STORAGE__S3__ACCESS_KEY_ID", s3.AccessKeyId);
            Set(variables, "BERTH_STORAGE__S3__SECRET_ACCESS_KEY", s3.SecretAccessKey);
            Set(variables, "BERTH_STORAGE__S3__KEY_PREFIX", s3.KeyPrefix);
            variables["BERTH_STORAGE__S3__MAX_ERROR_RETRY"] = s3.MaxErrorRetry.ToString(CultureInfo.InvariantCulture);
            variables["BERTH_STORAGE__S3__REQUEST_TIMEOUT"] = s3.RequestTimeout.ToString("c", CultureInfo.InvariantCulture);
        }
        else if (storage is { Kind: BlobStoreKind.Azure, Azure: { } azure })
        {
            variables["BERTH_STORAGE__KIND"] = "azure";
            variables["BERTH_STORAGE__AZURE__CONTAINER"] = azure.Container;
            Set(variables, "BERTH_STORAGE__AZURE__CONNECTION_STRING", azure.ConnectionString);
            Set(variables, "BERTH_STORAGE__AZURE__KEY_PREFIX", azure.KeyPrefix);
            variables["BERTH_STORAGE__AZURE__MAX_RETRIES"] = azure.MaxRetries.ToString(CultureInfo.InvariantCulture);
        }
        return variables;
    }

    private static void Set(Dictionary<string, string> variables, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value)) variables[name] = value;
    }
}
