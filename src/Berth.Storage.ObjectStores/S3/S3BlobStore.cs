using Amazon.Runtime;
using System.Runtime.CompilerServices;
using Amazon.S3;
using Amazon.S3.Model;
using Berth.Oci.Digests;
using Berth.Storage.Blobs;
using Berth.Storage.Uploads;

namespace Berth.Storage.ObjectStores.S3;

/// <summary>
/// Blobs as objects in an S3 bucket under content-addressed keys. A blob object appears only through
/// <see cref="StoreAsync"/>, called by <see cref="S3UploadStore"/> after the digest was verified; an
/// interrupted store leaves at most an incomplete multipart upload, which is never visible.
/// </summary>
public sealed class S3BlobStore(S3Bucket bucket) : IBlobStore
{
    private readonly BlobWriteCoalescer _writes = new();

    public async ValueTask<BlobInfo?> FindAsync(Digest digest, CancellationToken cancellationToken = default)
    {
        var head = await HeadAsync(bucket.Keys.Blob(digest), cancellationToken);
        return head is null ? null : new BlobInfo(head.ContentLength, LastModified(head));
    }

    public async Task<Stream> OpenReadAsync(Digest digest, long offset, long length, CancellationToken cancellationToken = default)
    {
        var key = bucket.Keys.Blob(digest);
        if (length == 0)
        {
            return await HeadAsync(key, cancellationToken) is null ? throw new FileNotFoundException($"blob {digest} is not stored") : Stream.Null;
        }
        var response = await bucket.CallOrNullAsync("read blob", () => bucket.Client.GetObjectAsync(new GetObjectRequest
        {
            BucketName = bucket.Name,
            Key = key,
            ByteRange = new ByteRange(offset, offset + length - 1),
        }, cancellationToken));
        if (response is null) throw new FileNotFoundException($"blob {digest} is not stored");
        // Disposing the body stream releases the HTTP response.
        return response.ResponseStream;
    }

    public async ValueTask<Uri?> RedirectUrlAsync(Digest digest, CancellationToken cancellationToken = default)
    {
        if (!bucket.Options.Redirect) return null;
        var request = new GetPreSignedUrlRequest
        {
            BucketName = bucket.Name,
            Key = bucket.Keys.Blob(digest),
            Verb = HttpVerb.GET,
            Expires = DateTime.UtcNow + bucket.Options.RedirectUrlLifetime,
            // The SDK presigns https unless told otherwise; a plain-http endpoint (RGW in tests) needs http.
            Protocol = bucket.Options.ServiceUrl?.StartsWith("http://", StringComparison.OrdinalIgnoreCase) == true ? Protocol.HTTP : Protocol.HTTPS,
        };
        return new Uri(await bucket.CallAsync("presign blob URL", () => bucket.Client.GetPreSignedURLAsync(request)));
    }

    public async ValueTask<long> RemoveIfOlderThanAsync(Digest digest, DateTimeOffset notAfter, CancellationToken cancellationToken = default)
    {
        var key = bucket.Keys.Blob(digest);
        var head = await HeadAsync(key, cancellationToken);
        if (head is null || LastModified(head) > notAfter) return -1;
        await bucket.CallAsync("delete blob", () => bucket.Client.DeleteObjectAsync(bucket.Name, key, cancellationToken));
        return head.ContentLength;
    }

    /// <summary>
    /// Checks each blob's age with a HEAD (a handful at once), then removes the old ones with DeleteObjects, up
    /// to 1,000 keys per request: on Ceph RGW that removes three times as many objects per second as one
    /// DELETE per blob. A key S3 refuses to delete is reported as not freed, so its metadata stays.
    /// </summary>
    public async ValueTask<IReadOnlyDictionary<Digest, long>> RemoveIfOlderThanAsync(IReadOnlyCollection<Digest> digests, DateTimeOffset notAfter,
        CancellationToken cancellationToken = default)
    {
        var old = new System.Collections.Concurrent.ConcurrentDictionary<string, (Digest Digest, long Length)>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(digests, new ParallelOptions { MaxDegreeOfParallelism = HeadsAtOnce, CancellationToken = cancellationToken },
            async (digest, token) =>
            {
                var key = bucket.Keys.Blob(digest);
                if (await HeadAsync(key, token) is { } head && LastModified(head) <= notAfter) old[key] = (digest, head.ContentLength);
            });
        var freed = new Dictionary<Digest, long>();
        foreach (var keys in old.Keys.Order(StringComparer.Ordinal).Chunk(MaximumKeysPerDelete))
        {
            var refused = await DeleteObjectsAsync(keys, cancellationToken);
            foreach (var key in keys.Where(key => !refused.Contains(key))) freed[old[key].Digest] = old[key].Length;
        }
        return freed;
    }

    private const int HeadsAtOnce = 16;
    private const int MaximumKeysPerDelete = 1000;

    /// <summary>Deletes the keys in one request; returns those S3 refused (a partial failure is not an exception here).</summary>
    private async Task<IReadOnlySet<string>> DeleteObjectsAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var request = new DeleteObjectsRequest
        {
            BucketName = bucket.Name,
            // Quiet: the answer lists only the keys that were not deleted.
            Quiet = true,
            Objects = keys.Select(key => new KeyVersion { Key = key }).ToList(),
        };
        var errors = await bucket.CallAsync("delete blobs", async () =>
        {
            try
            {
                return (await bucket.Client.DeleteObjectsAsync(request, cancellationToken)).DeleteErrors ?? [];
            }
            catch (DeleteObjectsException e)
            {
                return e.Response.DeleteErrors ?? [];
            }
        });
        return errors.Select(error => error.Key).ToHashSet(StringComparer.Ordinal);
    }

    public async Task<string> QuarantineAsync(Digest digest, CancellationToken cancellationToken = default)
    {
        var source = bucket.Keys.Blob(digest);
        var target = bucket.Keys.Quarantine(digest);
        var head = await HeadAsync(source, cancellationToken) ?? throw new FileNotFoundException($"blob {digest} is not stored");
        await CopyAsync(source, target, head.ContentLength, cancellationToken);
        await bucket.CallAsync("delete quarantined blob", () => bucket.Client.DeleteObjectAsync(bucket.Name, source, cancellationToken));
        return $"s3://{bucket.Name}/{target}";
    }

    public async IAsyncEnumerable<Digest> EnumerateAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = new ListObjectsV2Request { BucketName = bucket.Name, Prefix = bucket.Keys.BlobsFolder };
        while (true)
        {
            var page = await bucket.CallAsync("list blobs", () => bucket.Client.ListObjectsV2Async(request, cancellationToken));
            foreach (var item in page.S3Objects ?? [])
            {
                if (bucket.Keys.TryParseBlob(item.Key, out var digest)) yield return digest;
            }
            if (page.IsTruncated != true) yield break;
            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    /// <summary>
    /// Makes the verified segments the blob under <paramref name="digest"/>: one server-side copy (or
    /// multipart copy, one part per segment), so the blob appears whole or not at all. If the blob is
    /// already stored, it is only refreshed so garbage collection's grace period starts again.
    /// </summary>
    internal Task StoreAsync(Digest digest, IReadOnlyList<UploadSegment> segments, CancellationToken cancellationToken) =>
        _writes.StoreAsync(digest, () => StoreFromSegmentsAsync(digest, segments, cancellationToken), cancellationToken);

    private async Task StoreFromSegmentsAsync(Digest digest, IReadOnlyList<UploadSegment> segments, CancellationToken cancellationToken)
    {
        var key = bucket.Keys.Blob(digest);
        if (await HeadAsync(key, cancellationToken) is { } existing)
        {
            await RefreshAsync(key, existing.ContentLength, cancellationToken);
            return;
        }
        if (segments.Count == 0)
        {
            await bucket.CallAsync("store empty blob", () => bucket.Client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = bucket.Name, Key = key, InputStream = Stream.Null,
            }, cancellationToken));
            return;
        }
        if (segments.Count == 1)
        {
            await CopyAsync(segments[0].Key, key, segments[0].Length, cancellationToken);
            return;
        }
        await MultipartCopyAsync(key, segments.Select(segment => (segment.Key, 0L, segment.Length)).ToList(), cancellationToken);
    }

    /// <summary>
    /// Stores verified bytes under <paramref name="digest"/> with one PutObject, which S3 makes visible
    /// whole or not at all. An identical object already there is simply replaced, which also renews its
    /// age for garbage collection's grace period.
    /// </summary>
    internal Task StoreWholeAsync(Digest digest, byte[] buffer, int length, CancellationToken cancellationToken) =>
        _writes.StoreAsync(digest, () => bucket.CallAsync("store blob", () => bucket.Client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket.Name,
            Key = bucket.Keys.Blob(digest),
            InputStream = new MemoryStream(buffer, 0, length, writable: false),
            AutoCloseStream = false,
            // As for upload segments: over TLS the SigV4 payload hash would be a second pass over the bytes.
            DisablePayloadSigning = bucket.UsesTls,
        }, cancellationToken)), cancellationToken);

    /// <summary>
    /// Streams a blob whose digest the client announced straight into a multipart upload of its
    /// content-addressed key, hashing as the parts go out, and completes the upload only if the bytes have
    /// <paramref name="expected"/>'s digest. So a large monolithic push is written once, where staging it
    /// as upload segments and stitching those with UploadPartCopy wrote it twice (RGW copies the data).
    /// Parts are invisible until the completion, which S3 makes atomic; a wrong digest or a failed body
    /// aborts the upload, and a crash leaves an incomplete multipart upload that nothing can read (a bucket
    /// lifecycle rule expires those).
    /// </summary>
    internal async Task<CompleteResult> StoreStreamedAsync(Digest expected, Stream body, long length, int partBytes,
        DateTimeOffset keepIfStoredAfter, CancellationToken cancellationToken)
    {
        var key = bucket.Keys.Blob(expected);
        using var hasher = new DigestHasher(expected.Algorithm);
        if (await IsStoredAfterAsync(key, keepIfStoredAfter, cancellationToken))
        {
            // A young identical copy stays as it is (see IMonolithicUploadStore); the push still proves it holds the bytes.
            await StreamedParts.HashAsync(body, length, hasher, cancellationToken);
            return new CompleteResult(hasher.Current() == expected, hasher.Current(), length);
        }
        var started = await bucket.CallAsync("start multipart upload", () => bucket.Client.InitiateMultipartUploadAsync(
            new InitiateMultipartUploadRequest { BucketName = bucket.Name, Key = key }, cancellationToken));
        var completed = false;
        try
        {
            var etags = new List<PartETag>();
            await StreamedParts.SendAsync(body, length, partBytes, hasher, async (partNumber, part) =>
            {
                var sent = await bucket.CallAsync("upload part", () => bucket.Client.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = bucket.Name, Key = key, UploadId = started.UploadId, PartNumber = partNumber,
                    InputStream = new MemoryStream(part.Array!, part.Offset, part.Count, writable: false),
                    // As for upload segments: over TLS the SigV4 payload hash would be a second pass over the bytes.
                    DisablePayloadSigning = bucket.UsesTls,
                }, cancellationToken));
                etags.Add(new PartETag(partNumber, sent.ETag));
            }, cancellationToken);
            var actual = hasher.Current();
            if (actual != expected) return new CompleteResult(false, actual, length);
            // Another push of the same blob may have finished meanwhile: keep its copy rather than overwrite
            // an object that readers may be fetching.
            if (await IsStoredAfterAsync(key, keepIfStoredAfter, cancellationToken)) return new CompleteResult(true, actual, length);
            await bucket.CallAsync("complete multipart upload", () => bucket.Client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = bucket.Name, Key = key, UploadId = started.UploadId, PartETags = etags,
            }, cancellationToken));
            completed = true;
            return new CompleteResult(true, actual, length);
        }
        finally
        {
            if (!completed) await AbortQuietlyAsync(key, started.UploadId);
        }
    }

    private async Task<bool> IsStoredAfterAsync(string key, DateTimeOffset after, CancellationToken cancellationToken) =>
        await HeadAsync(key, cancellationToken) is { } head && LastModified(head) > after;

    private async Task AbortQuietlyAsync(string key, string uploadId)
    {
        try
        {
            await bucket.Client.AbortMultipartUploadAsync(bucket.Name, key, uploadId, CancellationToken.None);
        }
        catch (Exception e) when (e is AmazonServiceException or AmazonClientException or HttpRequestException)
        {
            // The store is failing anyway; an incomplete multipart upload is invisible and lifecycle rules expire it.
        }
    }

    private async Task RefreshAsync(string key, long length, CancellationToken cancellationToken)
    {
        // Copying an object onto itself with REPLACE is S3's way of renewing its Last-Modified. Over 5 GiB
        // a single copy is refused; such a blob keeps its original age (collection then waits for the
        // link this upload is about to write, which the metadata store checks in its transaction).
        if (length > S3Bucket.MaximumPartBytes) return;
        await bucket.CallAsync("refresh blob", () => bucket.Client.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket.Name, SourceKey = key, DestinationBucket = bucket.Name, DestinationKey = key,
            MetadataDirective = S3MetadataDirective.REPLACE,
        }, cancellationToken));
    }

    private async Task CopyAsync(string source, string target, long length, CancellationToken cancellationToken)
    {
        if (length <= S3Bucket.MaximumPartBytes)
        {
            await bucket.CallAsync("copy object", () => bucket.Client.CopyObjectAsync(new CopyObjectRequest
            {
                SourceBucket = bucket.Name, SourceKey = source, DestinationBucket = bucket.Name, DestinationKey = target,
            }, cancellationToken));
            return;
        }
        var ranges = new List<(string, long, long)>();
        for (long first = 0; first < length; first += S3Bucket.MaximumPartBytes)
        {
            ranges.Add((source, first, Math.Min(S3Bucket.MaximumPartBytes, length - first)));
        }
        await MultipartCopyAsync(target, ranges, cancellationToken);
    }

    /// <summary>Stitches ranges of existing objects into <paramref name="target"/> with UploadPartCopy, several at a time.</summary>
    private async Task MultipartCopyAsync(string target, IReadOnlyList<(string Key, long First, long Length)> parts, CancellationToken cancellationToken)
    {
        var started = await bucket.CallAsync("start multipart copy", () => bucket.Client.InitiateMultipartUploadAsync(
            new InitiateMultipartUploadRequest { BucketName = bucket.Name, Key = target }, cancellationToken));
        try
        {
            var etags = new PartETag[parts.Count];
            await Parallel.ForEachAsync(Enumerable.Range(0, parts.Count),
                new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (index, token) =>
                {
                    var (key, first, length) = parts[index];
                    var copied = await bucket.CallAsync("copy part", () => bucket.Client.CopyPartAsync(new CopyPartRequest
                    {
                        SourceBucket = bucket.Name, SourceKey = key, DestinationBucket = bucket.Name, DestinationKey = target,
                        UploadId = started.UploadId, PartNumber = index + 1,
                        FirstByte = first, LastByte = first + length - 1,
                    }, token));
                    etags[index] = new PartETag(index + 1, copied.ETag);
                });
            // RGW 16 answers CompleteMultipartUpload with an empty ETag (a known bug); nothing here needs it.
            await bucket.CallAsync("complete multipart copy", () => bucket.Client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = bucket.Name, Key = target, UploadId = started.UploadId, PartETags = [.. etags],
            }, cancellationToken));
        }
        catch
        {
            await AbortQuietlyAsync(target, started.UploadId);
            throw;
        }
    }

    private Task<GetObjectMetadataResponse?> HeadAsync(string key, CancellationToken cancellationToken) =>
        bucket.CallOrNullAsync("look up blob", () => bucket.Client.GetObjectMetadataAsync(bucket.Name, key, cancellationToken));

    private static DateTimeOffset LastModified(GetObjectMetadataResponse head) =>
        head.LastModified is { } modified ? new DateTimeOffset(DateTime.SpecifyKind(modified.ToUniversalTime(), DateTimeKind.Utc)) : DateTimeOffset.UnixEpoch;
}
