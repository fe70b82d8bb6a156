using Berth.Registry.Maintenance;
using Berth.Registry.Operations;
using Berth.Storage;
using Berth.Storage.Blobs;
using Berth.Storage.Metadata;

namespace Berth.Registry;

/// <summary>
/// The registry: its storage, opened from a data folder, and its operations grouped by area of the
/// distribution spec. Every operation is plain C# returning a value or a spec error, callable without HTTP.
/// </summary>
public sealed class BerthRegistry : IDisposable
{
    private readonly SqliteMetadataStore _metadata;

    private BerthRegistry(RegistryOptions options, BlobStorage? blobStorage)
    {
        Options = options;
        var directory = new DataDirectory(options.DataDirectory);
        directory.EnsureCreated();
        _metadata = new SqliteMetadataStore(directory.MetadataDatabase);
        var storage = blobStorage ?? BlobStorage.OnDisk(directory);

        Blobs = new BlobOperations(_metadata, storage.Blobs);
        Uploads = new UploadOperations(options, _metadata, storage.Uploads, storage.Blobs);
        Manifests = new ManifestOperations(options, _metadata);
        Listings = new ListingOperations(options, _metadata);
        GarbageCollector = new GarbageCollector(options, _metadata, storage.Blobs, Uploads);
        IntegrityChecker = new IntegrityChecker(_metadata, _metadata, storage.Blobs);
    }

    /// <summary>
    /// Opens the registry on its data folder. <paramref name="blobStorage"/> replaces the blob and upload
    /// stores (an object store); by default both live in the data folder.
    /// </summary>
    public static BerthRegistry Open(RegistryOptions options, BlobStorage? blobStorage = null) => new(options, blobStorage);

    public RegistryOptions Options { get; }
    public BlobOperations Blobs { get; }
    public UploadOperations Uploads { get; }
    public ManifestOperations Manifests { get; }
    public ListingOperations Listings { get; }
    public GarbageCollector GarbageCollector { get; }
    public IntegrityChecker IntegrityChecker { get; }

    public void Dispose() => _metadata.Dispose();
}
