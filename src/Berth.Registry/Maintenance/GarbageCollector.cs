using Berth.Storage.Blobs;
using Berth.Storage.Metadata;
using Microsoft.Extensions.Logging;

namespace Berth.Registry.Maintenance;

/// <summary>
/// Online garbage collection: removes what nothing references while the registry keeps serving.
/// Each removal is a short guarded transaction that re-checks the reason for removing, so a push that
/// commits first always wins. A grace period protects blobs uploaded for a manifest not pushed yet.
/// </summary>
public sealed class GarbageCollector
{
    private readonly RegistryOptions _options;
    private readonly IMetadataMaintenance _metadata;
    private readonly IBlobStore _blobs;
    private readonly Operations.UploadOperations _uploads;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    private readonly Policies.WriteAdmission _admission;

    internal GarbageCollector(RegistryOptions options, Policies.WriteAdmission admission, IMetadataMaintenance metadata, IBlobStore blobs,
        Operations.UploadOperations uploads, TimeProvider time, ILogger logger)
    {
        _admission = admission;
        _time = time;
        _logger = logger;
        _options = options;
        _metadata = metadata;
        _blobs = blobs;
        _uploads = uploads;
    }

    public async Task<CollectionReport> CollectAsync(bool dryRun)
    {
        // One collector at a time among every process sharing the metadata (replicas on one database):
        // a second one would only repeat the same guarded removals. A dry run changes nothing, so it needs no lock.
        await using var collectorLock = dryRun ? null : await _metadata.TryAcquireCollectorLockAsync();
        if (!dryRun && collectorLock is null) return new CollectionReport { SkippedBecauseAnotherCollectorRuns = true };

        var report = new CollectionReport { DryRun = dryRun };
        var cutoff = _time.GetUtcNow() - _options.GarbageCollectionGracePeriod;

        // 1. Untagged manifests, only in repositories whose policy asks for it.
        foreach (var manifest in _metadata.UntaggedManifests(cutoff, PrunesUntaggedManifests))
        {
            if (dryRun || await _metadata.RemoveManifestIfUntaggedAsync(manifest, cutoff))
            {
                report.ManifestsRemoved.Add($"{manifest.Repository}@{manifest.Digest}");
                if (!dryRun) _logger.ManifestCollected($"{manifest.Repository}@{manifest.Digest}");
            }
        }
        if (!dryRun) report.ManifestContentsRemoved = await _metadata.RemoveOrphanManifestContentsAsync();

        // 2. Blob links that no manifest in their repository refers to.
        var linksRemoved = new Dictionary<Oci.Digests.Digest, int>();
        foreach (var link in _metadata.UnreferencedBlobLinks(cutoff))
        {
            if (dryRun || await _metadata.RemoveBlobLinkIfUnreferencedAsync(link, cutoff))
            {
                report.BlobLinksRemoved.Add($"{link.Repository}@{link.Digest}");
                linksRemoved[link.Digest] = linksRemoved.GetValueOrDefault(link.Digest) + 1;
            }
        }

        // 3. Blob files no repository links any more. Each blob is its own guarded removal (its own transaction and
        // per-digest lock), so several run at once: on an object store each costs requests (a HEAD, a DELETE), and
        // one at a time the collection of 10,000 blobs on Ceph RGW took 171 s (benchmarks/results/2026-12-08-growth.md).
        var collected = new System.Collections.Concurrent.ConcurrentBag<(string Digest, long Bytes)>();
        await Parallel.ForEachAsync(_blobs.EnumerateAllAsync(), new ParallelOptions { MaxDegreeOfParallelism = BlobRemovalsAtOnce },
            async (digest, _) =>
            {
                if (await CollectBlobAsync(digest, dryRun, linksRemoved, cutoff) is { } freed) collected.Add((digest.ToString(), freed));
            });
        foreach (var (digest, bytes) in collected.OrderBy(blob => blob.Digest, StringComparer.Ordinal))
        {
            report.BlobsDeleted.Add(digest);
            report.BytesFreed += bytes;
        }

        // 4. Upload sessions nobody has touched for the expiry period.
        if (!dryRun) report.UploadsExpired = await _uploads.ExpireIdleAsync();
        return report;
    }

    private const int BlobRemovalsAtOnce = 8;

    /// <summary>The bytes freed by removing <paramref name="digest"/> (a dry run: that removal would free), or null if it stays.</summary>
    private async Task<long?> CollectBlobAsync(Oci.Digests.Digest digest, bool dryRun, IReadOnlyDictionary<Oci.Digests.Digest, int> linksRemoved,
        DateTimeOffset cutoff)
    {
        if (dryRun)
        {
            // A dry run removed nothing, so count the links step 2 would have removed as gone.
            var remainingLinks = _metadata.CountBlobLinks(digest) - linksRemoved.GetValueOrDefault(digest);
            return remainingLinks <= 0 && await _blobs.FindAsync(digest) is { } info && info.StoredAt < cutoff ? info.Length : null;
        }
        long freed = -1;
        // The metadata store's callback is synchronous (it runs inside its transaction): the filesystem
        // store completes at once; a networked store blocks this maintenance thread for its requests.
        await _metadata.DeleteBlobIfUnlinkedAsync(digest, () => (freed = Wait(_blobs.RemoveIfOlderThanAsync(digest, cutoff))) >= 0);
        if (freed < 0) return null;
        _logger.BlobCollected(digest.ToString(), freed);
        return freed;
    }

    private static long Wait(ValueTask<long> pending) =>
        pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();

    private bool PrunesUntaggedManifests(string repository) =>
        _admission.Policies.Any(policy => policy.PruneUntaggedManifests && policy.Matches(repository, null));
}
