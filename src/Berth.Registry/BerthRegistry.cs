using Berth.Registry.Maintenance;
using Berth.Registry.Operations;
using Berth.Storage;
using Berth.Storage.Blobs;
using Berth.Storage.Configuration;
using Berth.Storage.Metadata;
using Berth.Storage.Uploads;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Registry;

/// <summary>
/// The registry: its storage, opened from a data folder, and its operations grouped by area of the
/// distribution spec. Every operation is plain C# returning a value or a spec error, callable without HTTP.
/// </summary>
public sealed class BerthRegistry : IDisposable
{
    private readonly SqliteMetadataStore _metadata;

    private BerthRegistry(RegistryOptions options, ILoggerFactory loggers)
    {
        Options = options;
        var directory = new DataDirectory(options.DataDirectory);
        directory.EnsureCreated();
        var blobStore = OpenBlobStore(options.Storage, directory);
        _metadata = OpenMetadataStore(options.Metadata, directory, loggers.CreateLogger<SqliteMetadataStore>());
        var uploadArea = new UploadArea(directory, blobStore);

        Blobs = new BlobOperations(_metadata, blobStore);
        Uploads = new UploadOperations(options, _metadata, uploadArea, blobStore);
        Manifests = new ManifestOperations(options, _metadata);
        Listings = new ListingOperations(options, _metadata);
        GarbageCollector = new GarbageCollector(options, _metadata, blobStore, Uploads, loggers.CreateLogger<GarbageCollector>());
        IntegrityChecker = new IntegrityChecker(directory, _metadata, _metadata, blobStore, loggers.CreateLogger<IntegrityChecker>());
    }

    /// <param name="loggers">Where storage and upkeep (garbage collection, quarantine, writer failures) log; none by default.</param>
    public static BerthRegistry Open(RegistryOptions options, ILoggerFactory? loggers = null) => new(options, loggers ?? NullLoggerFactory.Instance);

    // The one place that picks the stores by configuration; the data folder always holds uploads in progress.
    private static SqliteMetadataStore OpenMetadataStore(MetadataOptions metadata, DataDirectory directory, ILogger logger) => metadata.Kind switch
    {
        MetadataStoreKind.Sqlite => new SqliteMetadataStore(directory.MetadataDatabase, logger),
        _ => throw new NotSupportedException($"metadata kind {metadata.Kind.ToString().ToLowerInvariant()} is not available in this build"),
    };

    private static FileSystemBlobStore OpenBlobStore(StorageOptions storage, DataDirectory directory) => storage.Kind switch
    {
        BlobStoreKind.FileSystem => new FileSystemBlobStore(directory),
        _ => throw new NotSupportedException($"storage kind {storage.Kind.ToString().ToLowerInvariant()} is not available in this build"),
    };

    public RegistryOptions Options { get; }
    public BlobOperations Blobs { get; }
    public UploadOperations Uploads { get; }
    public ManifestOperations Manifests { get; }
    public ListingOperations Listings { get; }
    public GarbageCollector GarbageCollector { get; }
    public IntegrityChecker IntegrityChecker { get; }

    public void Dispose() => _metadata.Dispose();
}
