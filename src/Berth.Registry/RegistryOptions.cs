using Berth.Registry.Policies;
using Berth.Storage.Configuration;

namespace Berth.Registry;

public sealed record RegistryOptions
{
    /// <summary>The data folder: blobs, uploads and the metadata database.</summary>
    public string DataDirectory { get; init; } = "berth-data";

    /// <summary>Upload sessions idle longer than this are removed, with their data.</summary>
    public TimeSpan UploadIdleExpiry { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Largest accepted blob upload; null for no limit beyond the disk.</summary>
    public long? MaxBlobBytes { get; init; }

    /// <summary>Upload requests streaming data at the same time; more get 429. Null for no limit.</summary>
    public int? MaxConcurrentUploads { get; init; } = 512;

    /// <summary>Referrers per response page; longer lists are paginated with Link.</summary>
    public int ReferrersPageSize { get; init; } = 1000;

    /// <summary>Largest page of tags or repositories a client may ask for with n.</summary>
    public int MaxPageSize { get; init; } = 100_000;

    public IReadOnlyList<RepositoryPolicy> Policies { get; init; } = [];

    /// <summary>Refuse every push and delete with 405 UNSUPPORTED while pulls go on (maintenance, a migration); reloadable.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>Whether tags, manifests and blobs may be deleted over the API; false refuses deletes with 405; reloadable.</summary>
    public bool DeletesEnabled { get; init; } = true;

    /// <summary>Blobs and manifests younger than this are never collected (a push may be in progress).</summary>
    public TimeSpan GarbageCollectionGracePeriod { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The metadata database (SQLite in the data folder by default).</summary>
    public MetadataOptions Metadata { get; init; } = new();

    /// <summary>Where blob bytes are stored (the data folder by default).</summary>
    public StorageOptions Storage { get; init; } = new();
}
