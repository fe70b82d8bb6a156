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
        await foreach (var digest in _blobs.EnumerateAllAsync(cancellationToken))
        {
            cancellationToken.ThrowIfCancellationRequested();
            report.BlobsChecked++;
            if (await _blobs.FindAsync(digest, cancellationToken) is not { } blob) continue;
            using var hasher = new DigestHasher(digest.Algorithm);
            await using (var file = await _blobs.OpenReadAsync(digest, 0, blob.Length, cancellationToken))
            {
                var buffer = new byte[1 << 20];
                int read;
                while ((read = await file.ReadAsync(buffer, cancellationToken)) > 0) hasher.Append(buffer.AsSpan(0, read));
            }
            if (hasher.Current() == digest) continue;
            report.DamagedBlobs.Add(digest.ToString());
            _logger.DamagedBlob(digest.ToString());
            if (!quarantine) continue;
            var moved = await _blobs.QuarantineAsync(digest, cancellationToken);
            _logger.BlobQuarantined(digest.ToString(), moved);
            report.Quarantined.Add(moved);
        }

        foreach (var reference in _metadata.ManifestBlobReferences())
        {
            if (await _blobs.FindAsync(reference.Digest, cancellationToken) is null || !_store.IsBlobLinked(reference.Repository, reference.Digest))
            {
                report.MissingBlobs.Add($"{reference.Repository}@{reference.Digest}");
            }
        }
        foreach (var (repository, tag, digest) in _metadata.DanglingTags())
        {
            report.DanglingTags.Add($"{repository}:{tag} -> {digest}");
        }
        return report;
    }
}
