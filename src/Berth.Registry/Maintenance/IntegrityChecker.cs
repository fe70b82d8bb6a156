using Berth.Oci.Digests;
using Berth.Storage;
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
    private readonly DataDirectory _directory;
    private readonly IMetadataMaintenance _metadata;
    private readonly IMetadataStore _store;
    private readonly FileSystemBlobStore _blobs;
    private readonly ILogger _logger;

    internal IntegrityChecker(DataDirectory directory, IMetadataMaintenance metadata, IMetadataStore store, FileSystemBlobStore blobs, ILogger logger)
    {
        _logger = logger;
        _directory = directory;
        _metadata = metadata;
        _store = store;
        _blobs = blobs;
    }

    public async Task<IntegrityReport> CheckAsync(bool quarantine, CancellationToken cancellationToken)
    {
        var report = new IntegrityReport();
        foreach (var digest in _blobs.EnumerateAll())
        {
            cancellationToken.ThrowIfCancellationRequested();
            report.BlobsChecked++;
            if (_blobs.Find(digest) is not { } blob) continue;
            using var hasher = new DigestHasher(digest.Algorithm);
            await using (var file = new FileStream(blob.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan | FileOptions.Asynchronous))
            {
                var buffer = new byte[1 << 20];
                int read;
                while ((read = await file.ReadAsync(buffer, cancellationToken)) > 0) hasher.Append(buffer.AsSpan(0, read));
            }
            if (hasher.Current() == digest) continue;
            report.DamagedBlobs.Add(digest.ToString());
            _logger.DamagedBlob(digest.ToString());
            if (!quarantine) continue;
            var moved = _blobs.Quarantine(digest, _directory.Quarantine);
            _logger.BlobQuarantined(digest.ToString(), moved);
            report.Quarantined.Add(moved);
        }

        foreach (var reference in _metadata.ManifestBlobReferences())
        {
            if (_blobs.Find(reference.Digest) is null || !_store.IsBlobLinked(reference.Repository, reference.Digest))
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
