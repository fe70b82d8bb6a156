using Berth.Oci.Digests;
using Berth.Storage;
using Berth.Storage.Blobs;
using Berth.Storage.Metadata;

namespace Berth.Registry.Maintenance;

/// <summary>One readiness check: its name ("metadata", "blobs", "dataWritable", "freeSpace") and, when it failed, why.</summary>
public sealed record ReadinessCheck(string Name, string? Problem)
{
    public bool Passed => Problem is null;
}

/// <summary>Every check of one probe; ready when all passed.</summary>
public sealed record ReadinessReport(IReadOnlyList<ReadinessCheck> Checks)
{
    public bool IsReady => Checks.All(check => check.Passed);
}

/// <summary>
/// Whether this replica can serve writes right now: the metadata store answers a query, the blob store answers a
/// lookup, and the data folder takes a write and has room. A load balancer takes an unready replica out of rotation
/// (Kubernetes readiness semantics), so the checks are cheap and bounded, and a failing one names what failed.
/// </summary>
public sealed class ReadinessProbe
{
    private static readonly Digest ProbeDigest = Digest.Parse("sha256:0000000000000000000000000000000000000000000000000000000000000000");

    private readonly IMetadataStore _metadata;
    private readonly IBlobStore _blobs;
    private readonly DataDirectory _data;

    internal ReadinessProbe(IMetadataStore metadata, IBlobStore blobs, DataDirectory data)
    {
        _metadata = metadata;
        _blobs = blobs;
        _data = data;
    }

    /// <param name="minimumFreeBytes">Less free space than this in the data folder is unready: pushes would soon fail with 507.</param>
    public async Task<ReadinessReport> CheckAsync(long minimumFreeBytes, CancellationToken cancellationToken = default)
    {
        string? metadata = null, blobs = null, space = null;
        try
        {
            // Any answer will do (a name no client can create, so the query never finds anything).
            _metadata.RepositoryExists("_readiness");
        }
        catch (Exception e) when (e is MetadataStoreUnavailableException or IOException or InvalidOperationException
                                      or System.Data.Common.DbException)
        {
            metadata = $"the metadata store does not answer: {e.Message}";
        }
        try
        {
            await _blobs.FindAsync(ProbeDigest, cancellationToken);
        }
        catch (Exception e) when (e is StorageUnavailableException or IOException or HttpRequestException or UnauthorizedAccessException)
        {
            blobs = $"the blob store does not answer: {e.Message}";
        }
        var writable = WriteProblem();
        if (FreeBytes() is { } free && free < minimumFreeBytes)
        {
            space = $"the data folder has {free / (1024 * 1024)} MiB free, less than the {minimumFreeBytes / (1024 * 1024)} MiB needed";
        }
        return new ReadinessReport(
        [
            new ReadinessCheck("metadata", metadata),
            new ReadinessCheck("blobs", blobs),
            new ReadinessCheck("dataWritable", writable),
            new ReadinessCheck("freeSpace", space),
        ]);
    }

    private string? WriteProblem()
    {
        // The temporary folder, where every upload starts; a probe file is written and removed.
        var probe = Path.Combine(_data.Temporary, $"readiness-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(_data.Temporary);
            using (var file = new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None))
            {
                file.WriteByte(0);
                file.Flush(flushToDisk: true);
            }
            File.Delete(probe);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"the data folder {_data.Root} is not writable: {e.Message}";
        }
    }

    private long? FreeBytes()
    {
        try
        {
            return new DriveInfo(_data.Root).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }
}
