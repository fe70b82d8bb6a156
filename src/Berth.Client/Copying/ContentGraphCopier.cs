using Berth.Oci.Manifests;

namespace Berth.Client.Copying;

/// <summary>Hears about each blob of a copy, e.g. to draw progress bars.</summary>
public interface ICopyObserver
{
    /// <summary>A blob is about to be copied; the returned progress receives bytes done so far.</summary>
    IProgress<long>? BlobStarting(Descriptor blob);

    void BlobFinished(Descriptor blob, BlobPushOutcome outcome);
}

public sealed record CopyResult(Descriptor Root, int BlobsCopied, int BlobsSkipped, int BlobsMounted, long BytesCopied, int Manifests);

/// <summary>
/// Copies a manifest and everything it references — for an index, every platform's manifest — from a
/// source to a target, children before parents so the target never sees a dangling reference
/// (distribution-spec "Pushing Manifests": referenced content must exist first).
/// </summary>
public static class ContentGraphCopier
{
    public static async Task<CopyResult> CopyAsync(IContentSource source, IContentTarget target, Descriptor root, string? tag,
        ICopyObserver? observer = null, CancellationToken cancellationToken = default)
    {
        var tally = new Tally();
        await CopyManifestAsync(source, target, root, tag, isRoot: true, observer, tally, new HashSet<string>(), cancellationToken)
            .ConfigureAwait(false);
        return new CopyResult(root, tally.Copied, tally.Skipped, tally.Mounted, tally.Bytes, tally.Manifests);
    }

    private static async Task CopyManifestAsync(IContentSource source, IContentTarget target, Descriptor descriptor, string? tag, bool isRoot,
        ICopyObserver? observer, Tally tally, HashSet<string> seen, CancellationToken cancellationToken)
    {
        if (!seen.Add(descriptor.Digest)) return;
        var manifest = await source.GetManifestAsync(descriptor, cancellationToken).ConfigureAwait(false);
        if (!isRoot && await target.HasManifestAsync(descriptor, cancellationToken).ConfigureAwait(false))
        {
            return;
        }
        if (manifest.IsIndex)
        {
            foreach (var child in manifest.ChildManifests())
            {
                await CopyManifestAsync(source, target, Manifest.ToDescriptor(child), null, false, observer, tally, seen, cancellationToken)
                    .ConfigureAwait(false);
            }
        }
        else
        {
            foreach (var blob in manifest.ReferencedBlobs())
            {
                if (!seen.Add(blob.Digest)) continue;
                var progress = observer?.BlobStarting(blob);
                var outcome = await target.CopyBlobAsync(blob, source, progress, cancellationToken).ConfigureAwait(false);
                tally.Count(outcome, blob.Size);
                observer?.BlobFinished(blob, outcome);
            }
        }
        await target.PutManifestAsync(manifest, isRoot ? tag : null, cancellationToken).ConfigureAwait(false);
        tally.Manifests++;
    }

    private sealed class Tally
    {
        public int Copied;
        public int Skipped;
        public int Mounted;
        public long Bytes;
        public int Manifests;

        public void Count(BlobPushOutcome outcome, long size)
        {
            switch (outcome)
            {
                case BlobPushOutcome.Uploaded:
                    Copied++;
                    Bytes += size;
                    break;
                case BlobPushOutcome.Mounted:
                    Mounted++;
                    break;
                default:
                    Skipped++;
                    break;
            }
        }
    }
}
