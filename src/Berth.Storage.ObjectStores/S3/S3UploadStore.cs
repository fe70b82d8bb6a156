using System.Buffers;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using Amazon.S3.Model;
using Berth.Oci.Digests;
using Berth.Storage.Uploads;

namespace Berth.Storage.ObjectStores.S3;

/// <summary>
/// Uploads in progress as objects in the bucket, so any replica can continue a session:
/// uploads/&lt;id&gt;/state (length, segment list, version history) and uploads/&lt;id&gt;/&lt;offset&gt;-&lt;nonce&gt;
/// segments. S3 multipart parts cannot be read back before the upload is completed, and all but the
/// last must be at least 5 MiB; so bytes are stored as ordinary readable objects ("segments", each at
/// least 5 MiB except the last: a shorter tail is merged into the next chunk's segment, as CNCF
/// Distribution re-uploads its pending tail), and only the closing PUT, once the digest is verified,
/// stitches them into the blob's content-addressed key with UploadPartCopy.
/// <para>
/// Digest: the replica that stored a chunk keeps the running hash in memory (see
/// <see cref="UploadHashStates"/>). Another replica that receives the next chunk does not need the hash
/// to store it; whoever closes the upload brings its hash up to date by reading only the bytes it has
/// not seen (all of them if it has seen none). A hash is trusted only if the version it was taken at
/// is in the state's history, so two requests racing on one session can never pass off one's bytes
/// under the other's digest.
/// </para>
/// <para>
/// Nothing is written until the first bytes arrive: an upload without a state object is an empty one.
/// Whether a session exists is the metadata store's to say (every operation looks its row up first), so
/// a POST followed by a PUT carrying the whole body — how docker, containerd and Berth.Client push small
/// blobs — costs no upload object at all, only the blob's own PutObject.
/// </para>
/// </summary>
public sealed class S3UploadStore(S3Bucket bucket, S3BlobStore blobs) : IUploadStore, IMonolithicUploadStore
{

    private readonly UploadHashStates _hashes = new();
    private long _bytesReread;
    private long _rereadTicks;

    /// <summary>Bytes read back from the bucket to rebuild hash states (the cost of a change of replica).</summary>
    public long BytesRereadForHashing => Interlocked.Read(ref _bytesReread);

    /// <summary>Time spent reading those bytes back and hashing them.</summary>
    public TimeSpan TimeRereadingForHashing => TimeSpan.FromTicks(Interlocked.Read(ref _rereadTicks));

    private int SegmentBytes => bucket.Options.SegmentBytes;

    /// <summary>S3's 10,000 parts of one segment each: a whole blob is streamed, never held in memory.</summary>
    public long MonolithicLimit => S3Bucket.MaximumParts * (long)SegmentBytes;

    /// <summary>
    /// Up to one segment: held in memory, verified, then one PutObject. Larger: streamed into a multipart
    /// upload of the blob's own key and completed only once verified, so its bytes are written once.
    /// </summary>
    public Task<CompleteResult> StoreWholeAsync(Digest expected, Stream body, long length, DateTimeOffset keepIfStoredAfter,
        CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, MonolithicLimit);
        if (length > SegmentBytes) return blobs.StoreStreamedAsync(expected, body, length, SegmentBytes, keepIfStoredAfter, cancellationToken);
        return BufferedBlob.VerifyThenStoreAsync(body, length, expected, blobs, keepIfStoredAfter,
            blob => blobs.StoreWholeAsync(expected, blob.Buffer, blob.Length, cancellationToken), cancellationToken);
    }

    /// <summary>Writes nothing: the state object appears with the upload's first bytes.</summary>
    public Task CreateAsync(string id, DigestAlgorithm algorithm, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public async Task<long> LengthOfAsync(string id, CancellationToken cancellationToken = default) =>
        (await ReadStateAsync(id, cancellationToken))?.Length ?? 0;

    public async Task<AppendResult> AppendAsync(string id, DigestAlgorithm algorithm, Stream body, long? expectedOffset,
        long? maxLength, long? exactLength = null, CancellationToken cancellationToken = default)
    {
        var state = await ReadStateAsync(id, cancellationToken) ?? S3UploadState.Empty(algorithm);
        if (expectedOffset is { } offset && offset != state.Length) return new AppendResult(AppendStatus.OffsetMismatch, state.Length);

        // Catch up a hash this replica already holds; without one, store the chunk unhashed (the closing
        // request reads what it has not seen).
        var hasher = await ResumeHashAsync(id, state, algorithm, rebuildFromStart: false, cancellationToken);
        var segments = state.Segments.ToList();
        var written = new List<UploadSegment>();
        string? mergedTail = null;
        var segmentStart = state.Length;
        var filled = 0;
        long received = 0;
        var buffer = SegmentBuffers.Rent(SegmentBytes);
        try
        {
            if (segments.Count > 0 && segments[^1].Length < S3Bucket.MinimumPartBytes)
            {
                // A tail under S3's minimum part size cannot be followed by another part: it grows into
                // this chunk's first segment and is replaced by it.
                var tail = segments[^1];
                await ReadSegmentAsync(tail, buffer.AsMemory(0, (int)tail.Length), cancellationToken);
                filled = (int)tail.Length;
                segmentStart -= tail.Length;
                mergedTail = tail.Key;
                segments.RemoveAt(segments.Count - 1);
            }

            ExceptionDispatchInfo? bodyFailure = null;
            while (true)
            {
                int read;
                try
                {
                    read = await body.ReadAsync(buffer.AsMemory(filled, SegmentBytes - filled), cancellationToken);
                }
                catch (Exception e) when (e is IOException or OperationCanceledException)
                {
                    bodyFailure = ExceptionDispatchInfo.Capture(e);
                    break;
                }
                if (read == 0) break;
                if (exactLength is { } tooLong && received + read > tooLong) return await DiscardAsync(AppendStatus.LengthMismatch);
                if (maxLength is { } limit && state.Length + received + read > limit) return await DiscardAsync(AppendStatus.TooLarge);
                hasher?.Append(buffer.AsSpan(filled, read));
                filled += read;
                received += read;
                if (filled == SegmentBytes)
                {
                    await StoreSegmentAsync(cancellationToken);
                }
            }
            if (bodyFailure is not null && (exactLength is not null || received == 0))
            {
                // A chunk announced with Content-Range is all or nothing.
                await DiscardAsync(AppendStatus.LengthMismatch);
                bodyFailure.Throw();
            }
            if (bodyFailure is null && exactLength is { } exact && received != exact) return await DiscardAsync(AppendStatus.LengthMismatch);
            if (received == 0)
            {
                if (hasher is not null) _hashes.Keep(id, hasher, state.Version);
                return new AppendResult(AppendStatus.Appended, state.Length);
            }

            // The client may be gone (body failure): what arrived is still kept, so it can resume.
            var token = bodyFailure is null ? cancellationToken : CancellationToken.None;
            if (filled > 0) await StoreSegmentAsync(token);
            var next = new S3UploadState(state.Algorithm, state.Length + received, segments,
                [.. state.Versions.TakeLast(S3UploadState.VersionHistory - 1), NewVersion()]);
            await WriteStateAsync(id, next, token);
            written.Clear(); // listed in the state now: no longer ours to delete on failure
            if (mergedTail is not null) await DeleteQuietlyAsync([mergedTail]);
            if (hasher is not null) _hashes.Keep(id, hasher, next.Version);
            hasher = null;
            bodyFailure?.Throw();
            return new AppendResult(AppendStatus.Appended, next.Length);
        }
        catch
        {
            hasher?.Dispose();
            await DeleteQuietlyAsync(written.Select(segment => segment.Key));
            throw;
        }
        finally
        {
            SegmentBuffers.Return(buffer);
        }

        async Task StoreSegmentAsync(CancellationToken token)
        {
            var segment = new UploadSegment($"{bucket.Keys.UploadFolder(id)}{segmentStart:D15}-{Guid.NewGuid():N}", filled);
            await bucket.CallAsync("store upload segment", () => bucket.Client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = bucket.Name,
                Key = segment.Key,
                InputStream = new MemoryStream(buffer, 0, filled, writable: false),
                AutoCloseStream = false,
                // Over TLS the SigV4 payload hash is a second SHA-256 pass over every byte for nothing (Berth
                // verifies the digest, TLS the transport); the SDK allows skipping it only over https.
                DisablePayloadSigning = bucket.UsesTls,
            }, token));
            written.Add(segment);
            segments.Add(segment);
            segmentStart += filled;
            filled = 0;
        }

        async Task<AppendResult> DiscardAsync(AppendStatus status)
        {
            // The hash has seen bytes that are not kept; it cannot be rewound, so it goes.
            hasher?.Dispose();
            hasher = null;
            await DeleteQuietlyAsync(written.Select(segment => segment.Key));
            written.Clear();
            return new AppendResult(status, state.Length);
        }
    }

    public async Task<CompleteResult> CompleteAsync(string id, DigestAlgorithm sessionAlgorithm, Digest expected, CancellationToken cancellationToken)
    {
        var stored = await ReadStateAsync(id, cancellationToken);
        var state = stored ?? S3UploadState.Empty(sessionAlgorithm);
        var sameAlgorithm = expected.Algorithm == sessionAlgorithm;
        DigestHasher hasher;
        if (sameAlgorithm)
        {
            hasher = (await ResumeHashAsync(id, state, sessionAlgorithm, rebuildFromStart: true, cancellationToken))!;
        }
        else
        {
            // Announced one algorithm, closed with another: the only case where every byte is read again.
            hasher = new DigestHasher(expected.Algorithm);
            await HashRangeAsync(state.Segments, 0, state.Length, hasher, cancellationToken);
        }
        var actual = hasher.Current();
        if (actual != expected)
        {
            if (sameAlgorithm) _hashes.Keep(id, hasher, state.Version);
            else hasher.Dispose();
            return new CompleteResult(false, actual, state.Length);
        }
        hasher.Dispose();
        // The segments just hashed are immutable objects: what becomes the blob is exactly what was verified.
        await blobs.StoreAsync(expected, state.Segments, cancellationToken);
        _hashes.Forget(id);
        if (stored is not null) await DeleteQuietlyAsync([.. state.Segments.Select(segment => segment.Key), StateKey(id)]);
        return new CompleteResult(true, actual, state.Length);
    }

    public async Task DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        _hashes.Forget(id);
        var state = await ReadStateAsync(id, cancellationToken);
        if (state is null) return;
        await DeleteQuietlyAsync([.. state.Segments.Select(segment => segment.Key), StateKey(id)]);
    }

    /// <summary>
    /// This replica's hash of the upload, brought up to <paramref name="state"/>'s length by reading only
    /// the bytes it has not seen; null when it has none and <paramref name="rebuildFromStart"/> is false.
    /// </summary>
    private async Task<DigestHasher?> ResumeHashAsync(string id, S3UploadState state, DigestAlgorithm algorithm, bool rebuildFromStart,
        CancellationToken cancellationToken)
    {
        var held = _hashes.Take(id, algorithm);
        DigestHasher? hasher = null;
        if (held is { } h && h.Hasher.Length <= state.Length && state.Versions.Contains(h.Version)) hasher = h.Hasher;
        else held?.Hasher.Dispose();
        if (hasher is null)
        {
            // A new upload has nothing to read: whoever receives its first chunk starts the hash.
            if (!rebuildFromStart && state.Length > 0) return null;
            hasher = new DigestHasher(algorithm);
        }
        try
        {
            await HashRangeAsync(state.Segments, hasher.Length, state.Length, hasher, cancellationToken);
            return hasher;
        }
        catch
        {
            hasher.Dispose();
            throw;
        }
    }

    private async Task HashRangeAsync(IReadOnlyList<UploadSegment> segments, long from, long to, DigestHasher hasher, CancellationToken cancellationToken)
    {
        if (from >= to) return;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            long segmentStart = 0;
            foreach (var segment in segments)
            {
                var segmentEnd = segmentStart + segment.Length;
                if (segmentEnd > from && segmentStart < to)
                {
                    var first = Math.Max(from, segmentStart) - segmentStart;
                    var last = Math.Min(to, segmentEnd) - segmentStart - 1;
                    using var response = await bucket.CallAsync("read upload segment", () => bucket.Client.GetObjectAsync(new GetObjectRequest
                    {
                        BucketName = bucket.Name, Key = segment.Key, ByteRange = new Amazon.S3.Model.ByteRange(first, last),
                    }, cancellationToken));
                    int read;
                    while ((read = await ReadBodyAsync(response.ResponseStream, buffer, cancellationToken)) > 0)
                    {
                        hasher.Append(buffer.AsSpan(0, read));
                        Interlocked.Add(ref _bytesReread, read);
                    }
                }
                segmentStart = segmentEnd;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            Interlocked.Add(ref _rereadTicks, System.Diagnostics.Stopwatch.GetElapsedTime(started).Ticks);
        }
        if (hasher.Length != to) throw new StorageUnavailableException($"S3 bucket '{bucket.Name}': upload segments hold {hasher.Length} bytes, the upload state says {to}");
    }

    private async Task ReadSegmentAsync(UploadSegment segment, Memory<byte> target, CancellationToken cancellationToken)
    {
        using var response = await bucket.CallAsync("read upload segment", () => bucket.Client.GetObjectAsync(bucket.Name, segment.Key, cancellationToken));
        var filled = 0;
        while (filled < target.Length)
        {
            var read = await bucket.CallAsync("read upload segment", async () => await response.ResponseStream.ReadAsync(target[filled..], cancellationToken));
            if (read == 0) throw new StorageUnavailableException($"S3 bucket '{bucket.Name}': upload segment is shorter than recorded");
            filled += read;
        }
    }

    private Task<int> ReadBodyAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken) =>
        bucket.CallAsync("read upload segment", async () => await stream.ReadAsync(buffer, cancellationToken));

    private string StateKey(string id) => bucket.Keys.UploadFolder(id) + "state";

    private async Task<S3UploadState?> ReadStateAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await bucket.CallOrNullAsync("read upload state", () => bucket.Client.GetObjectAsync(bucket.Name, StateKey(id), cancellationToken));
        if (response is null) return null;
        return await bucket.CallAsync("read upload state", async () =>
            await JsonSerializer.DeserializeAsync(response.ResponseStream, S3UploadStateJson.Default.S3UploadState, cancellationToken))
            ?? throw new StorageUnavailableException($"S3 bucket '{bucket.Name}': upload state of {id} is empty");
    }

    private Task WriteStateAsync(string id, S3UploadState state, CancellationToken cancellationToken) =>
        bucket.CallAsync("write upload state", () => bucket.Client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket.Name,
            Key = StateKey(id),
            InputStream = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(state, S3UploadStateJson.Default.S3UploadState)),
            ContentType = "application/json",
        }, cancellationToken));

    /// <summary>Removes upload objects; a failure leaves orphans under uploads/ for maintenance, never an error to the client.</summary>
    private async Task DeleteQuietlyAsync(IEnumerable<string> keys)
    {
        var objects = keys.Select(key => new KeyVersion { Key = key }).ToList();
        if (objects.Count == 0) return;
        try
        {
            foreach (var batch in objects.Chunk(1000))
            {
                await bucket.Client.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = bucket.Name, Objects = [.. batch], Quiet = true });
            }
        }
        catch (Exception e) when (e is Amazon.Runtime.AmazonServiceException or Amazon.Runtime.AmazonClientException or HttpRequestException or IOException)
        {
        }
    }

    private static string NewVersion() => Guid.NewGuid().ToString("N");
}
