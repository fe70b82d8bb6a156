using Berth.Registry.Maintenance;
using Berth.Registry.Operations;
using Berth.Registry.Policies;
using Berth.Storage;
using Berth.Storage.Blobs;
using Berth.Storage.Configuration;
using Berth.Storage.Metadata;
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
    private readonly BlobStorage _storage;

    private BerthRegistry(RegistryOptions options, IMetadataBackend? metadata, BlobStorage? blobStorage, TimeProvider time, ILoggerFactory loggers)
    {
        Options = options;
        var directory = new DataDirectory(options.DataDirectory);
        directory.EnsureCreated();
        _metadata = metadata ?? OpenMetadataStore(options.Metadata, directory, time, loggers.CreateLogger<SqliteMetadataStore>());
        _storage = blobStorage ?? OpenBlobStorage(options.Storage, directory, time);

        Admission = new WriteAdmission(options);
        Blobs = new BlobOperations(_metadata, _storage.Blobs, Admission);
        Uploads = new UploadOperations(options, _metadata, _storage.Uploads, _storage.Blobs, Admission, time);
        Manifests = new ManifestOperations(_metadata, Admission);
        Listings = new ListingOperations(options, _metadata);
        GarbageCollector = new GarbageCollector(options, Admission, _metadata, _storage.Blobs, Uploads, time, loggers.CreateLogger<GarbageCollector>());
        Readiness = new ReadinessProbe(_metadata, _storage.Blobs, directory);
        IntegrityChecker = new IntegrityChecker(_metadata, _metadata, _storage.Blobs, loggers.CreateLogger<IntegrityChecker>());
    }

    /// <summary>Opens the registry on the embedded stores in its data folder (SQLite metadata, blob files).</summary>
    /// <param name="loggers">Where storage and upkeep (garbage collection, quarantine, writer failures) log; none by default.</param>
    /// <param name="time">The registry's clock (grace periods, upload expiry, Last-Modified); the system clock unless a test fakes it.</param>
    public static BerthRegistry Open(RegistryOptions options, ILoggerFactory? loggers = null, TimeProvider? time = null) =>
        new(options, null, null, time ?? TimeProvider.System, loggers ?? NullLoggerFactory.Instance);

    /// <summary>
    /// Opens the registry on stores chosen by the host: a metadata engine such as PostgreSQL and blob storage
    /// such as an object store, for several replicas. Null keeps the embedded store of that kind. The registry
    /// owns what it is given from now on.
    /// </summary>
    public static BerthRegistry Open(RegistryOptions options, IMetadataBackend? metadata, BlobStorage? blobStorage,
        ILoggerFactory? loggers = null, TimeProvider? time = null) =>
        new(options, metadata, blobStorage, time ?? TimeProvider.System, loggers ?? NullLoggerFactory.Instance);

    // The embedded stores; the engines in their own projects (PostgreSQL, object stores) are opened by the host.
    private static SqliteMetadataStore OpenMetadataStore(MetadataOptions metadata, DataDirectory directory, TimeProvider time, ILogger logger) => metadata.Kind switch
    {
        MetadataStoreKind.Sqlite => new SqliteMetadataStore(directory.MetadataDatabase, time, logger),
        _ => throw new NotSupportedException($"metadata kind {metadata.Kind.ToString().ToLowerInvariant()} is opened by the host, not the registry"),
    };

    private static BlobStorage OpenBlobStorage(StorageOptions storage, DataDirectory directory, TimeProvider time) => storage.Kind switch
    {
        BlobStoreKind.FileSystem => BlobStorage.OnDisk(directory, time),
        _ => throw new NotSupportedException($"storage kind {storage.Kind.ToString().ToLowerInvariant()} is opened by the host, not the registry"),
    };

    public RegistryOptions Options { get; }

    /// <summary>Read-only mode, deletes and policies as configured now; a config reload changes them here.</summary>
    public WriteAdmission Admission { get; }
    public BlobOperations Blobs { get; }
    public UploadOperations Uploads { get; }
    public ManifestOperations Manifests { get; }
    public ListingOperations Listings { get; }
    public GarbageCollector GarbageCollector { get; }
    public IntegrityChecker IntegrityChecker { get; }

    /// <summary>Whether the stores answer and the data folder takes writes (for /readyz).</summary>
    public ReadinessProbe Readiness { get; }

    /// <summary>
    /// The notification events waiting for delivery, kept in the metadata store; writes record events once a planner
    /// is set on it (the host does, when endpoints are configured).
    /// </summary>
    public Storage.Events.IEventOutbox Events => _metadata;

    /// <summary>Whole-repository reads (linked blobs, every manifest, every tag), for copying the registry elsewhere.</summary>
    public IMetadataExport Export => _metadata;

    /// <summary>The web UI's cookie-encryption key ring, kept in the metadata store so every replica on it shares the ring.</summary>
    internal IKeyRingStore KeyRing => _metadata;

    public void Dispose()
    {
        _metadata.Dispose();
        _storage.Dispose();
    }
}
