using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Sas;
using Berth.Oci.Digests;
using Berth.Storage.Blobs;
using Berth.Storage.Uploads;
using BlobInfo = Berth.Storage.Blobs.BlobInfo;

namespace Berth.Storage.ObjectStores.Azure;

/// <summary>
/// Blobs as block blobs in an Azure container under content-addressed keys. A blob appears only through
/// <see cref="StoreAsync"/>, called by <see cref="AzureUploadStore"/> after the digest was verified.
/// </summary>
public sealed class AzureBlobStore(AzureContainer container) : IBlobStore
{
    private readonly BlobWriteCoalescer _writes = new();

    public async ValueTask<BlobInfo?> FindAsync(Digest digest, CancellationToken cancellationToken = default)
    {
        var properties = await PropertiesAsync(Blob(digest), cancellationToken);
        return properties is null ? null : new BlobInfo(properties.ContentLength, properties.LastModified);
    }

    public async Task<Stream> OpenReadAsync(Digest digest, long offset, long length, CancellationToken cancellationToken = default)
    {
        var blob = Blob(digest);
        if (length == 0)
        {
            return await PropertiesAsync(blob, cancellationToken) is null ? throw new FileNotFoundException($"blob {digest} is not stored") : Stream.Null;
        }
        var download = await container.CallOrNullAsync("read blob", async () =>
            (await blob.DownloadStreamingAsync(new BlobDownloadOptions { Range = new HttpRange(offset, length) }, cancellationToken)).Value);
        return download?.Content ?? throw new FileNotFoundException($"blob {digest} is not stored");
    }

    public ValueTask<Uri?> RedirectUrlAsync(Digest digest, CancellationToken cancellationToken = default)
    {
        var blob = Blob(digest);
        // A SAS can be signed only with the account key; other credentials serve the bytes themselves.
        if (!container.Options.Redirect || !blob.CanGenerateSasUri) return ValueTask.FromResult<Uri?>(null);
        return ValueTask.FromResult<Uri?>(blob.GenerateSasUri(BlobSasPermissions.Read, DateTimeOffset.UtcNow + container.Options.RedirectUrlLifetime));
    }

    public async ValueTask<long> RemoveIfOlderThanAsync(Digest digest, DateTimeOffset notAfter, CancellationToken cancellationToken = default)
    {
        var blob = Blob(digest);
        var properties = await PropertiesAsync(blob, cancellationToken);
        if (properties is null || properties.LastModified > notAfter) return -1;
        try
        {
            // Conditional delete: a refresh between the look-up and here wins.
            await container.CallAsync("delete blob", () => blob.DeleteAsync(DeleteSnapshotsOption.IncludeSnapshots,
                new BlobRequestConditions { IfUnmodifiedSince = notAfter }, cancellationToken));
        }
        catch (StorageUnavailableException e) when (e.InnerException is RequestFailedException { Status: 412 or 404 })
        {
            return -1;
        }
        return properties.ContentLength;
    }

    /// <summary>
    /// A handful of conditional deletes at once: each is its own request either way (a Blob Batch would need
    /// another package and is not in Azurite's tested set), so the gain is in overlapping their round trips.
    /// </summary>
    public async ValueTask<IReadOnlyDictionary<Digest, long>> RemoveIfOlderThanAsync(IReadOnlyCollection<Digest> digests, DateTimeOffset notAfter,
        CancellationToken cancellationToken = default)
    {
        var freed = new System.Collections.Concurrent.ConcurrentDictionary<Digest, long>();
        await Parallel.ForEachAsync(digests, new ParallelOptions { MaxDegreeOfParallelism = RemovalsAtOnce, CancellationToken = cancellationToken },
            async (digest, token) =>
            {
                if (await RemoveIfOlderThanAsync(digest, notAfter, token) is var bytes and >= 0) freed[digest] = bytes;
            });
        return freed;
    }

    private const int RemovalsAtOnce = 16;

    public async Task<string> QuarantineAsync(Digest digest, CancellationToken cancellationToken = default)
    {
        var source = Blob(digest);
        var target = container.Client.GetBlobClient(container.Keys.Quarantine(digest));
        await CopyAsync(source, target, null, cancellationToken);
        await container.CallAsync("delete quarantined blob", () => source.DeleteIfExistsAsync(cancellationToken: cancellationToken));
        return target.Uri.GetLeftPart(UriPartial.Path);
    }

    public async IAsyncEnumerable<Digest> EnumerateAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var item in container.Client.GetBlobsAsync(new GetBlobsOptions { Prefix = container.Keys.BlobsFolder }, cancellationToken))
        {
            if (container.Keys.TryParseBlob(item.Name, out var digest)) yield return digest;
        }
    }

    /// <summary>
    /// Copies the verified staging blob, exactly at the version that was hashed (<paramref name="stagingETag"/>),
    /// to the blob's content-addressed key; a copy appears whole or not at all. An already stored blob is
    /// only refreshed, so garbage collection's grace period starts again.
    /// </summary>
    internal Task StoreAsync(Digest digest, BlobBaseClient staging, ETag stagingETag, CancellationToken cancellationToken) =>
        _writes.StoreAsync(digest, () => StoreFromStagingAsync(digest, staging, stagingETag, cancellationToken), cancellationToken);

    private async Task StoreFromStagingAsync(Digest digest, BlobBaseClient staging, ETag stagingETag, CancellationToken cancellationToken)
    {
        var target = Blob(digest);
        if (await PropertiesAsync(target, cancellationToken) is not null)
        {
            await container.CallAsync("refresh blob", () => target.SetMetadataAsync(new Dictionary<string, string>(), cancellationToken: cancellationToken));
            return;
        }
        try
        {
            await CopyAsync(staging, target, stagingETag, cancellationToken);
        }
        catch (Exception e) when (e is InvalidOperationException or StorageUnavailableException && !cancellationToken.IsCancellationRequested)
        {
            // Two uploads of the same content (another request or replica) completing at the same moment copy
            // to the same key, and the service lets one copy replace the other while the first is polled. The
            // key is content-addressed, so whichever copy lands holds these very bytes: wait for it.
            if (!await WaitUntilStoredAsync(target, cancellationToken)) throw;
        }
    }

    /// <summary>
    /// Stores verified bytes under <paramref name="digest"/> with one Put Blob, which appears whole or not at
    /// all. An identical blob already there is replaced, which also renews its age for garbage collection.
    /// </summary>
    internal Task StoreWholeAsync(Digest digest, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        _writes.StoreAsync(digest, () => container.CallAsync("store blob",
            () => Blob(digest).UploadAsync(new BinaryData(content), overwrite: true, cancellationToken)), cancellationToken);

    /// <summary>
    /// Streams a blob whose digest the client announced straight into blocks staged on its content-addressed
    /// key, hashing as they go out, and commits the block list only if the bytes have <paramref name="expected"/>'s
    /// digest. So a large monolithic push is written once, where staging it in an upload blob and copying
    /// that wrote it twice. Staged blocks are invisible until the commit, which replaces the blob whole; a
    /// wrong digest or a failed body commits nothing, and the service drops uncommitted blocks itself.
    /// </summary>
    internal async Task<CompleteResult> StoreStreamedAsync(Digest expected, Stream body, long length, DateTimeOffset keepIfStoredAfter,
        CancellationToken cancellationToken)
    {
        var target = Blob(expected);
        var blocks = container.Client.GetBlockBlobClient(target.Name);
        using var hasher = new DigestHasher(expected.Algorithm);
        if (await IsStoredAfterAsync(target, keepIfStoredAfter, cancellationToken))
        {
            // A young identical copy stays as it is (see IMonolithicUploadStore); the push still proves it holds the bytes.
            await StreamedParts.HashAsync(body, length, hasher, cancellationToken);
            return new CompleteResult(hasher.Current() == expected, hasher.Current(), length);
        }
        // Block ids must all have the same length within a blob; the nonce keeps a concurrent push's blocks apart.
        var nonce = Guid.NewGuid().ToString("N");
        var ids = new List<string>();
        await StreamedParts.SendAsync(body, length, container.Options.BlockBytes, hasher, async (number, part) =>
        {
            var id = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes($"{number:D20}{nonce}"));
            await container.CallAsync("stage blob block", () => blocks.StageBlockAsync(id,
                new MemoryStream(part.Array!, part.Offset, part.Count, writable: false), cancellationToken: cancellationToken));
            ids.Add(id);
        }, cancellationToken);
        var actual = hasher.Current();
        if (actual != expected) return new CompleteResult(false, actual, length);
        if (await IsStoredAfterAsync(target, keepIfStoredAfter, cancellationToken)) return new CompleteResult(true, actual, length);
        try
        {
            await container.CallAsync("commit blob blocks", () => blocks.CommitBlockListAsync(ids, cancellationToken: cancellationToken));
        }
        catch (StorageUnavailableException e) when (e.InnerException is RequestFailedException { Status: 400 })
        {
            // A concurrent push of the same blob committed first, which drops every uncommitted block, ours
            // included. The key is content-addressed: what it committed is these very bytes.
            if (await PropertiesAsync(target, cancellationToken) is not { } stored || stored.ContentLength != length) throw;
        }
        return new CompleteResult(true, actual, length);
    }

    private async Task<bool> IsStoredAfterAsync(BlobClient blob, DateTimeOffset after, CancellationToken cancellationToken) =>
        await PropertiesAsync(blob, cancellationToken) is { } properties && properties.LastModified > after;

    /// <summary>Whether a copy into <paramref name="target"/> (ours or a concurrent one) completes, within a minute.</summary>
    private async Task<bool> WaitUntilStoredAsync(BlobClient target, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 600; attempt++)
        {
            // No blob at all: no copy is under way, ours failed for its own reason.
            if (await PropertiesAsync(target, cancellationToken) is not { } properties) return false;
            // A blob that never was a copy's target has no copy id (its status is then meaningless).
            if (string.IsNullOrEmpty(properties.CopyId) || properties.CopyStatus == CopyStatus.Success) return true;
            if (properties.CopyStatus is CopyStatus.Failed or CopyStatus.Aborted) return false;
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
        return false;
    }

    private async Task CopyAsync(BlobBaseClient source, BlobClient target, ETag? sourceETag, CancellationToken cancellationToken)
    {
        var options = new BlobCopyFromUriOptions
        {
            SourceConditions = sourceETag is { } etag ? new BlobRequestConditions { IfMatch = etag } : null,
        };
        await container.CallAsync("copy blob", async () =>
        {
            var copy = await target.StartCopyFromUriAsync(SourceUri(source), options, cancellationToken);
            await copy.WaitForCompletionAsync(TimeSpan.FromMilliseconds(100), cancellationToken);
            return true;
        });
    }

    /// <summary>Within one account a shared-key client may copy from a plain URI; a SAS client must sign the source too.</summary>
    private Uri SourceUri(BlobBaseClient source) =>
        container.Options.SasToken is { } sas && string.IsNullOrEmpty(source.Uri.Query)
            ? new UriBuilder(source.Uri) { Query = sas.TrimStart('?') }.Uri
            : source.Uri;

    private BlobClient Blob(Digest digest) => container.Client.GetBlobClient(container.Keys.Blob(digest));

    private Task<BlobProperties?> PropertiesAsync(BlobClient blob, CancellationToken cancellationToken) =>
        container.CallOrNullAsync("look up blob", async () => (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value);
}
