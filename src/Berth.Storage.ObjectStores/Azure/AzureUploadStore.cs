using System.Buffers;
using System.Runtime.ExceptionServices;
using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Berth.Oci.Digests;
using Berth.Storage.Uploads;

namespace Berth.Storage.ObjectStores.Azure;

/// <summary>
/// Uploads in progress as staging block blobs (uploads/&lt;id&gt;/data), so any replica can continue a
/// session. Each chunk is staged as blocks (Azure has no minimum block size) and committed by appending
/// its block ids to the committed list, conditional on the ETag the chunk started from: the committed
/// bytes only ever grow at the end, and two requests racing on one session cannot both commit. The
/// staging blob stays readable, so a replica that did not see earlier chunks reads just those to bring
/// its hash up to date (see <see cref="UploadHashStates"/>).
/// <para>
/// The staging blob appears with the upload's first bytes (its first commit is conditional on there
/// being none yet): an upload without one is empty. Whether a session exists is the metadata store's
/// to say, so a POST then a PUT with the whole body costs only the blob's own Put Blob.
/// </para>
/// </summary>
public sealed class AzureUploadStore(AzureContainer container, AzureBlobStore blobs) : IUploadStore, IMonolithicUploadStore
{
    private const string AlgorithmMetadata = "algorithm";

    private readonly UploadHashStates _hashes = new();
    private long _bytesReread;

    /// <summary>Bytes read back from the container to rebuild hash states (the cost of a change of replica).</summary>
    public long BytesRereadForHashing => Interlocked.Read(ref _bytesReread);

    /// <summary>Azure's 50,000 committed blocks of one block each: a whole blob is streamed, never held in memory.</summary>
    public long MonolithicLimit => MaximumBlocks * (long)container.Options.BlockBytes;

    private const int MaximumBlocks = 50_000;

    /// <summary>
    /// Up to one block: held in memory, verified, then one Put Blob. Larger: streamed as blocks staged on the
    /// blob's own key and committed only once verified, so its bytes are written once.
    /// </summary>
    public Task<CompleteResult> StoreWholeAsync(Digest expected, Stream body, long length, DateTimeOffset keepIfStoredAfter,
        CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, MonolithicLimit);
        if (length > container.Options.BlockBytes) return blobs.StoreStreamedAsync(expected, body, length, keepIfStoredAfter, cancellationToken);
        return BufferedBlob.VerifyThenStoreAsync(body, length, expected, blobs, keepIfStoredAfter,
            blob => blobs.StoreWholeAsync(expected, blob.Content, cancellationToken), cancellationToken);
    }

    /// <summary>Writes nothing: the staging blob appears with the upload's first bytes.</summary>
    public Task CreateAsync(string id, DigestAlgorithm algorithm, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public async Task<long> LengthOfAsync(string id, CancellationToken cancellationToken = default) =>
        (await PropertiesAsync(id, cancellationToken))?.ContentLength ?? 0;

    public async Task<AppendResult> AppendAsync(string id, DigestAlgorithm algorithm, Stream body, long? expectedOffset,
        long? maxLength, long? exactLength = null, CancellationToken cancellationToken = default)
    {
        var staging = Staging(id);
        var properties = await PropertiesAsync(id, cancellationToken);
        var length = properties?.ContentLength ?? 0;
        var etag = properties?.ETag ?? default;
        if (expectedOffset is { } offset && offset != length) return new AppendResult(AppendStatus.OffsetMismatch, length);

        var hasher = await ResumeHashAsync(id, staging, length, etag, algorithm, rebuildFromStart: false, cancellationToken);
        var blockSize = container.Options.BlockBytes;
        var buffer = SegmentBuffers.Rent(blockSize);
        var staged = new List<string>();
        var filled = 0;
        long received = 0;
        try
        {
            ExceptionDispatchInfo? bodyFailure = null;
            while (true)
            {
                int read;
                try
                {
                    read = await body.ReadAsync(buffer.AsMemory(filled, blockSize - filled), cancellationToken);
                }
                catch (Exception e) when (e is IOException or OperationCanceledException)
                {
                    bodyFailure = ExceptionDispatchInfo.Capture(e);
                    break;
                }
                if (read == 0) break;
                // Staged blocks that are never committed cost nothing: Azure drops them.
                if (exactLength is { } tooLong && received + read > tooLong) return Discard(AppendStatus.LengthMismatch);
                if (maxLength is { } limit && length + received + read > limit) return Discard(AppendStatus.TooLarge);
                hasher?.Append(buffer.AsSpan(filled, read));
                filled += read;
                received += read;
                if (filled == blockSize) await StageAsync(cancellationToken);
            }
            if (bodyFailure is not null && (exactLength is not null || received == 0))
            {
                Discard(AppendStatus.LengthMismatch);
                bodyFailure.Throw();
            }
            if (bodyFailure is null && exactLength is { } exact && received != exact) return Discard(AppendStatus.LengthMismatch);
            if (received == 0)
            {
                if (hasher is not null) _hashes.Keep(id, hasher, etag.ToString());
                return new AppendResult(AppendStatus.Appended, length);
            }

            var token = bodyFailure is null ? cancellationToken : CancellationToken.None;
            if (filled > 0) await StageAsync(token);
            // Get Block List takes no ETag condition; the commit does: a list newer than the ETag read fails it,
            // and the first commit fails if another request created the staging blob meanwhile.
            IEnumerable<string> earlier = properties is null ? [] : (await container.CallAsync("read upload blocks", async () =>
                (await staging.GetBlockListAsync(BlockListTypes.Committed, cancellationToken: token)).Value)).CommittedBlocks.Select(block => block.Name);
            var conditions = properties is null ? new BlobRequestConditions { IfNoneMatch = ETag.All } : new BlobRequestConditions { IfMatch = etag };
            var metadata = properties?.Metadata ?? new Dictionary<string, string> { [AlgorithmMetadata] = algorithm.Name };
            BlobContentInfo info;
            try
            {
                info = await container.CallAsync("commit upload blocks", async () => (await staging.CommitBlockListAsync(
                    [.. earlier, .. staged], new CommitBlockListOptions { Metadata = metadata, Conditions = conditions }, token)).Value);
            }
            catch (StorageUnavailableException e) when (e.InnerException is RequestFailedException { Status: 412 or 409 })
            {
                // Another request extended the session meanwhile: this chunk no longer starts at the end.
                hasher?.Dispose();
                hasher = null;
                return new AppendResult(AppendStatus.OffsetMismatch, await LengthOfAsync(id, CancellationToken.None));
            }
            if (hasher is not null) _hashes.Keep(id, hasher, info.ETag.ToString());
            hasher = null;
            bodyFailure?.Throw();
            return new AppendResult(AppendStatus.Appended, length + received);
        }
        catch
        {
            hasher?.Dispose();
            throw;
        }
        finally
        {
            SegmentBuffers.Return(buffer);
        }

        async Task StageAsync(CancellationToken token)
        {
            // Block ids must all have the same length within a blob: offset and a nonce, fixed width.
            var blockId = Convert.ToBase64String(Encoding.ASCII.GetBytes($"{length + received - filled:D20}{Guid.NewGuid():N}"));
            await container.CallAsync("stage upload block", () => staging.StageBlockAsync(blockId,
                new MemoryStream(buffer, 0, filled, writable: false), cancellationToken: token));
            staged.Add(blockId);
            filled = 0;
        }

        AppendResult Discard(AppendStatus status)
        {
            hasher?.Dispose();
            hasher = null;
            return new AppendResult(status, length);
        }
    }

    public async Task<CompleteResult> CompleteAsync(string id, DigestAlgorithm sessionAlgorithm, Digest expected, CancellationToken cancellationToken)
    {
        var staging = Staging(id);
        var properties = await PropertiesAsync(id, cancellationToken);
        if (properties is null) return await CompleteEmptyAsync(id, expected, cancellationToken);
        var length = properties.ContentLength;
        var sameAlgorithm = expected.Algorithm == sessionAlgorithm;
        DigestHasher hasher;
        if (sameAlgorithm)
        {
            hasher = (await ResumeHashAsync(id, staging, length, properties.ETag, sessionAlgorithm, rebuildFromStart: true, cancellationToken))!;
        }
        else
        {
            hasher = new DigestHasher(expected.Algorithm);
            await HashRangeAsync(staging, 0, length, properties.ETag, hasher, cancellationToken);
        }
        var actual = hasher.Current();
        if (actual != expected)
        {
            if (sameAlgorithm) _hashes.Keep(id, hasher, properties.ETag.ToString());
            else hasher.Dispose();
            return new CompleteResult(false, actual, length);
        }
        hasher.Dispose();
        // Copied at the ETag that was hashed: a chunk committed meanwhile makes the copy fail, not a wrong blob.
        await blobs.StoreAsync(expected, staging, properties.ETag, cancellationToken);
        _hashes.Forget(id);
        await DeleteQuietlyAsync(staging);
        return new CompleteResult(true, actual, length);
    }

    /// <summary>An upload that never received a byte (POST, then a PUT without a body): the empty blob, if that is the digest.</summary>
    private async Task<CompleteResult> CompleteEmptyAsync(string id, Digest expected, CancellationToken cancellationToken)
    {
        _hashes.Forget(id);
        var actual = Digest.Compute(expected.Algorithm, []);
        if (actual != expected) return new CompleteResult(false, actual, 0);
        await blobs.StoreWholeAsync(expected, ReadOnlyMemory<byte>.Empty, cancellationToken);
        return new CompleteResult(true, actual, 0);
    }

    public async Task DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        _hashes.Forget(id);
        await container.CallAsync("delete upload", () => Staging(id).DeleteIfExistsAsync(cancellationToken: cancellationToken));
    }

    /// <summary>
    /// This replica's hash brought up to <paramref name="length"/>, reading only the bytes it has not seen.
    /// Every commit appends to the previous committed list under an ETag condition, so a hash of the first
    /// N bytes taken at any earlier version is still a hash of the first N bytes now.
    /// </summary>
    private async Task<DigestHasher?> ResumeHashAsync(string id, BlobBaseClient staging, long length, ETag etag, DigestAlgorithm algorithm,
        bool rebuildFromStart, CancellationToken cancellationToken)
    {
        var held = _hashes.Take(id, algorithm);
        DigestHasher? hasher = null;
        if (held is { } h && h.Hasher.Length <= length) hasher = h.Hasher;
        else held?.Hasher.Dispose();
        if (hasher is null)
        {
            // A new upload has nothing to read: whoever receives its first chunk starts the hash.
            if (!rebuildFromStart && length > 0) return null;
            hasher = new DigestHasher(algorithm);
        }
        try
        {
            await HashRangeAsync(staging, hasher.Length, length, etag, hasher, cancellationToken);
            return hasher;
        }
        catch
        {
            hasher.Dispose();
            throw;
        }
    }

    private async Task HashRangeAsync(BlobBaseClient staging, long from, long to, ETag etag, DigestHasher hasher, CancellationToken cancellationToken)
    {
        if (from >= to) return;
        var download = await container.CallAsync("read upload", async () => (await staging.DownloadStreamingAsync(new BlobDownloadOptions
        {
            Range = new HttpRange(from, to - from),
            Conditions = new BlobRequestConditions { IfMatch = etag },
        }, cancellationToken)).Value);
        await using var content = download.Content;
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            int read;
            while ((read = await container.CallAsync("read upload", async () => await content.ReadAsync(buffer, cancellationToken))) > 0)
            {
                hasher.Append(buffer.AsSpan(0, read));
                Interlocked.Add(ref _bytesReread, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        if (hasher.Length != to) throw new StorageUnavailableException($"Azure container '{container.Options.Container}': upload is shorter than its recorded length");
    }

    private BlockBlobClient Staging(string id) => container.Client.GetBlockBlobClient(container.Keys.UploadFolder(id) + "data");

    private Task<BlobProperties?> PropertiesAsync(string id, CancellationToken cancellationToken) =>
        container.CallOrNullAsync("look up upload", async () => (await Staging(id).GetPropertiesAsync(cancellationToken: cancellationToken)).Value);

    private static async Task DeleteQuietlyAsync(BlobBaseClient staging)
    {
        try
        {
            await staging.DeleteIfExistsAsync();
        }
        catch (Exception e) when (e is RequestFailedException or HttpRequestException or IOException)
        {
            // An orphaned staging blob under uploads/ is for maintenance; the blob itself is stored.
        }
    }
}
