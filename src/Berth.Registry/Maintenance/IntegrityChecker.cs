using System.Buffers;
using System.Collections.Concurrent;
using Berth.Oci.Digests;
using Berth.Storage.Blobs;
using Berth.Storage.Metadata;
using Microsoft.Extensions.Logging;

namespace Berth.Registry.Maintenance;

/// <summary>
/// fsck: re-hashes every stored blob against its digest and checks every metadata reference. Damaged
/// blobs can be moved to the quarantine folder so they stop being served; nothing is deleted.
/// </summary>
public sealed class IntegrityChecker
{
    private readonly IMetadataMaintenance _metadata;
    private readonly IMetadataStore _store;
    private readonly IBlobStore _blobs;
    private readonly ILogger _logger;

    internal IntegrityChecker(IMetadataMaintenance metadata, IMetadataStore store, IBlobStore blobs, ILogger logger)
    {
        _logger = logger;
        _metadata = metadata;
        _store = store;
        _blobs = blobs;
    }

    public async Task<IntegrityReport> CheckAsync(bool quarantine, CancellationToken cancellationToken)
    {
        var report = new IntegrityReport();
        // Several blobs at once: on an object store each costs a HEAD and a GET, and one at a time the round
        // trips, not the hashing, set the pace. The report stays in digest order whatever finished first.
        var damaged = new ConcurrentBag<Digest>();
        var blobsChecked = 0;
        await Parallel.ForEachAsync(_blobs.EnumerateAllAsync(cancellationToken), Concurrently(cancellationToken), async (digest, token) =>
        {
            Interlocked.Increment(ref blobsChecked);
            if (!await IsIntactAsync(digest, token)) damaged.Add(digest);
        });
        report.BlobsChecked = blobsChecked;
        foreach (var digest in damaged.OrderBy(digest => digest.ToString(), StringComparer.Ordinal))
        {
            report.DamagedBlobs.Add(digest.ToString());
            _logger.DamagedBlob(digest.ToString());
            if (!quarantine) continue;
            var moved = await _blobs.QuarantineAsync(digest, cancellationToken);
            _logger.BlobQuarantined(digest.ToString(), moved);
            report.Quarantined.Add(moved);
        }

        var missing = new ConcurrentBag<Collectable>();
        await Parallel.ForEachAsync(_metadata.ManifestBlobReferences(), Concurrently(cancellationToken), async (reference, token) =>
        {
            if (await _blobs.FindAsync(reference.Digest, token) is null || !_store.IsBlobLinked(reference.Repository, reference.Digest))
            {
                missing.Add(reference);
            }
        });
        report.MissingBlobs.AddRange(missing.Select(reference => $"{reference.Repository}@{reference.Digest}").Order(StringComparer.Ordinal));
        foreach (var (repository, tag, digest) in _metadata.DanglingTags())
        {
            report.DanglingTags.Add($"{repository}:{tag} -> {digest}");
        }
        return report;
    }

    private const int BlobsAtOnce = 8;

    private static ParallelOptions Concurrently(CancellationToken cancellationToken) =>
        new() { MaxDegreeOfParallelism = BlobsAtOnce, CancellationToken = cancellationToken };

    /// <summary>Whether the stored bytes hash to their digest; a blob removed since it was listed counts as intact.</summary>
    private async Task<bool> IsIntactAsync(Digest digest, CancellationToken cancellationToken)
    {
        if (await _blobs.FindAsync(digest, cancellationToken) is not { } blob) return true;
        using var hasher = new DigestHasher(digest.Algorithm);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            await using var file = await _blobs.OpenReadAsync(digest, 0, blob.Length, cancellationToken);
            int read;
            while ((read = await file.ReadAsync(buffer, cancellationToken)) > 0) hasher.Append(buffer.AsSpan(0, read));
        }
        catch (FileNotFoundException)
        {
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return hasher.Current() == digest;
    }
}
