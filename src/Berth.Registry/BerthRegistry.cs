using Berth.Registry.Maintenance;
using Berth.Registry.Operations;
using Berth.Storage;
using Berth.Storage.Blobs;
using Berth.Storage.Metadata;
using Berth.Storage.Uploads;

namespace Berth.Registry;

/// <summary>
/// The registry: its storage, opened from a data folder, and its operations grouped by area of the
/// distribution spec. Every operation is plain C# returning a value or a spec error, callable without HTTP.
/// </summary>
public sealed class BerthRegistry : IDisposable
{
    private readonly IMetadataBackend _metadata;

    private BerthRegistry(RegistryOptions options, IMetadataBackend? metadata, TimeProvider time)
    {
        Options = options;
        var directory = new DataDirectory(options.DataDirectory);
        directory.EnsureCreated();
        var blobStore = new FileSystemBlobStore(directory, time);
        _metadata = metadata ?? new SqliteMetadataStore(directory.MetadataDatabase, time);
        var uploadArea = new UploadArea(directory, blobStore);

        Blobs = new BlobOperations(_metadata, blobStore);
        Uploads = new UploadOperations(options, _metadata, uploadArea, blobStore, time);
        Manifests = new ManifestOperations(options, _metadata);
        Listings = new ListingOperations(options, _metadata);
        GarbageCollector = new GarbageCollector(options, _metadata, blobStore, Uploads, time);
        IntegrityChecker = new IntegrityChecker(directory, _metadata, _metadata, blobStore);
    }

    /// <param name="time">The registry's clock (grace periods, upload expiry, Last-Modified); the system clock unless a test fakes it.</param>
    public static BerthRegistry Open(RegistryOptions options, TimeProvider? time = null) => new(options, null, time ?? TimeProvider.System);

    /// <summary>
    /// Opens the registry on a metadata engine chosen by the caller (e.g. PostgreSQL for several
    /// replicas) instead of the embedded SQLite database in the data folder. The registry owns it from now on.
    /// </summary>
    public static BerthRegistry Open(RegistryOptions options, IMetadataBackend metadata, TimeProvider? time = null) =>
        new(options, metadata, time ?? TimeProvider.System);

    public RegistryOptions Options { get; }
    public BlobOperations Blobs { get; }
    public UploadOperations Uploads { get; }
    public ManifestOperations Manifests { get; }
    public ListingOperations Listings { get; }
    public GarbageCollector GarbageCollector { get; }
    public IntegrityChecker IntegrityChecker { get; }

    public void Dispose() => _metadata.Dispose();
}
