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

        // 2. Blob links that no manifest in their repository refers to. Each removal is its own short transaction
        // (one row lock), so several are in flight at once and the store commits them together.
        var linksRemoved = new System.Collections.Concurrent.ConcurrentDictionary<Oci.Digests.Digest, int>();
        var removedLinks = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(_metadata.UnreferencedBlobLinks(cutoff), new ParallelOptions { MaxDegreeOfParallelism = LinkRemovalsAtOnce },
            async (link, _) =>
            {
                if (!dryRun && !await _metadata.RemoveBlobLinkIfUnreferencedAsync(link, cutoff)) return;
                removedLinks.Add($"{link.Repository}@{link.Digest}");
                linksRemoved.AddOrUpdate(link.Digest, 1, (_, count) => count + 1);
            });
        report.BlobLinksRemoved.AddRange(removedLinks.Order(StringComparer.Ordinal));

        // 3. Blob files no repository links any more, a batch per guarded transaction and a few batches at once: on
        // an object store each blob costs requests (a HEAD, a share of a DeleteObjects), and one transaction and
        // DELETE per blob collected 10,000 blobs on Ceph RGW in 95 to 171 s (benchmarks/results/2026-12-08-growth.md).
        var collected = new System.Collections.Concurrent.ConcurrentBag<(string Digest, long Bytes)>();
        await Parallel.ForEachAsync(_blobs.EnumerateAllAsync().Chunk(BlobsPerBatch), new ParallelOptions { MaxDegreeOfParallelism = BatchesAtOnce },
            async (batch, _) =>
            {
                foreach (var (digest, freed) in await CollectBlobsAsync(batch, dryRun, linksRemoved, cutoff)) collected.Add((digest.ToString(), freed));
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

    // 250 exclusive per-digest locks per transaction, four transactions at once: well inside PostgreSQL's
    // default lock table (64 per connection slot), and one S3 DeleteObjects per batch.
    private const int BlobsPerBatch = 250;
    private const int BatchesAtOnce = 4;
    private const int LinkRemovalsAtOnce = 8;

    /// <summary>The bytes freed per blob removed (a dry run: that removing it would free); a blob that stays is not listed.</summary>
    private async Task<IReadOnlyDictionary<Oci.Digests.Digest, long>> CollectBlobsAsync(Oci.Digests.Digest[] batch, bool dryRun,
        IReadOnlyDictionary<Oci.Digests.Digest, int> linksRemoved, DateTimeOffset cutoff)
    {
        if (dryRun)
        {
            var wouldFree = new Dictionary<Oci.Digests.Digest, long>();
            foreach (var digest in batch)
            {
                // A dry run removed nothing, so count the links step 2 would have removed as gone.
                var remainingLinks = _metadata.CountBlobLinks(digest) - linksRemoved.GetValueOrDefault(digest);
                if (remainingLinks <= 0 && await _blobs.FindAsync(digest) is { } info && info.StoredAt < cutoff) wouldFree[digest] = info.Length;
            }
            return wouldFree;
        }
        var freed = await _metadata.DeleteBlobsIfUnlinkedAsync(batch, unlinked => _blobs.RemoveIfOlderThanAsync(unlinked, cutoff));
        foreach (var (digest, bytes) in freed) _logger.BlobCollected(digest.ToString(), bytes);
        return freed;
    }

    private bool PrunesUntaggedManifests(string repository) =>
        _admission.Policies.Any(policy => policy.PruneUntaggedManifests && policy.Matches(repository, null));
}
