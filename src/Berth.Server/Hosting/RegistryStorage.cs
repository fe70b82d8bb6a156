using Berth.Registry;
using Berth.Storage.Configuration;
using Berth.Storage.Metadata;
using Berth.Storage.ObjectStores.Azure;
using Berth.Storage.ObjectStores.S3;
using Berth.Storage.PostgreSql;
using Microsoft.Extensions.Logging;

namespace Berth.Server.Hosting;

/// <summary>
/// The one place that turns the <c>metadata</c> and <c>storage</c> settings into stores and opens the registry
/// on them: the embedded SQLite database and blob files by default, PostgreSQL and an S3 bucket or Azure
/// container when several replicas share one registry. Berth.Registry knows only the storage contracts; the
/// engines live in their own projects and are chosen here (as Npgsql's plugins are by the application).
/// </summary>
public static class RegistryStorage
{
    public static BerthRegistry Open(RegistryOptions options, ILoggerFactory? loggers = null, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var metadata = OpenMetadata(options.Metadata, time);
        try
        {
            return BerthRegistry.Open(options, metadata, OpenBlobStorage(options.Storage), loggers, time);
        }
        catch
        {
            metadata?.Dispose();
            throw;
        }
    }

    /// <summary>Null for the embedded store, which the registry opens in its data folder.</summary>
    private static IMetadataBackend? OpenMetadata(MetadataOptions metadata, TimeProvider time) => metadata.Kind switch
    {
        MetadataStoreKind.PostgreSql => PostgreSqlMetadataStore.Open(new PostgreSqlMetadataOptions
        {
            ConnectionString = metadata.ConnectionString!,
            MigrateOnStart = metadata.MigrateOnStart,
            Time = time,
        }),
        _ => null,
    };

    /// <summary>Null for blob files in the data folder. A missing bucket or container is created on start.</summary>
    private static BlobStorage? OpenBlobStorage(StorageOptions storage)
    {
        switch (storage.Kind)
        {
            case BlobStoreKind.S3:
                var bucket = new S3Bucket(storage.S3!);
                try
                {
                    bucket.EnsureExistsAsync().GetAwaiter().GetResult();
                    var blobs = new S3BlobStore(bucket);
                    return new BlobStorage(blobs, new S3UploadStore(bucket, blobs), bucket);
                }
                catch
                {
                    bucket.Dispose();
                    throw;
                }
            case BlobStoreKind.Azure:
                var container = new AzureContainer(storage.Azure!);
                container.EnsureExistsAsync().GetAwaiter().GetResult();
                var azureBlobs = new AzureBlobStore(container);
                return new BlobStorage(azureBlobs, new AzureUploadStore(container, azureBlobs));
            default:
                return null;
        }
    }
}
