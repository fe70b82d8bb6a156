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
    private readonly IMetadataBackend _metadata;

    private BerthRegistry(RegistryOptions options, IMetadataBackend? metadata, TimeProvider time, ILoggerFactory loggers)
    {
        Options = options;
        var directory = new DataDirectory(options.DataDirectory);
        directory.EnsureCreated();
        var blobStore = OpenBlobStore(options.Storage, directory, time);
        _metadata = metadata ?? OpenMetadataStore(options.Metadata, directory, time, loggers.CreateLogger<SqliteMetadataStore>());
        var uploadArea = new UploadArea(directory, blobStore);

        Blobs = new BlobOperations(_metadata, blobStore);
        Uploads = new UploadOperations(options, _metadata, uploadArea, blobStore, time);
        Manifests = new ManifestOperations(options, _metadata);
        Listings = new ListingOperations(options, _metadata);
        GarbageCollector = new GarbageCollector(options, _metadata, blobStore, Uploads, time, loggers.CreateLogger<GarbageCollector>());
        IntegrityChecker = new IntegrityChecker(directory, _metadata, _metadata, blobStore, loggers.CreateLogger<IntegrityChecker>());
    }

    /// <param name="loggers">Where storage and upkeep (garbage collection, quarantine, writer failures) log; none by default.</param>
    /// <param name="time">The registry's clock (grace periods, upload expiry, Last-Modified); the system clock unless a test fakes it.</param>
    public static BerthRegistry Open(RegistryOptions options, ILoggerFactory? loggers = null, TimeProvider? time = null) =>
        new(options, null, time ?? TimeProvider.System, loggers ?? NullLoggerFactory.Instance);

    /// <summary>
    /// Opens the registry on a metadata engine chosen by the caller (e.g. PostgreSQL for several
    /// replicas) instead of the embedded SQLite database in the data folder. The registry owns it from now on.
    /// </summary>
    public static BerthRegistry Open(RegistryOptions options, IMetadataBackend metadata, ILoggerFactory? loggers = null, TimeProvider? time = null) =>
        new(options, metadata, time ?? TimeProvider.System, loggers ?? NullLoggerFactory.Instance);

    // The embedded stores; the engines in their own projects (PostgreSQL, object stores) are opened by the host.
    private static SqliteMetadataStore OpenMetadataStore(MetadataOptions metadata, DataDirectory directory, TimeProvider time, ILogger logger) => metadata.Kind switch
    {
        MetadataStoreKind.Sqlite => new SqliteMetadataStore(directory.MetadataDatabase, time, logger),
        _ => throw new NotSupportedException($"metadata kind {metadata.Kind.ToString().ToLowerInvariant()} is opened by the host, not the registry"),
    };

    private static FileSystemBlobStore OpenBlobStore(StorageOptions storage, DataDirectory directory, TimeProvider time) => storage.Kind switch
    {
        BlobStoreKind.FileSystem => new FileSystemBlobStore(directory, time),
        _ => throw new NotSupportedException($"storage kind {storage.Kind.ToString().ToLowerInvariant()} is opened by the host, not the registry"),
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
