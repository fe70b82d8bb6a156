using Berth.Oci.Digests;

namespace Berth.Storage.Blobs;

/// <summary>
/// Content-addressed blob bytes, shared by all repositories (which repository may see a blob is
/// metadata). Blobs are written only by an <see cref="Uploads.IUploadStore"/>, after their digest was
/// verified, so whatever a store returns under a digest has that digest.
/// </summary>
public interface IBlobStore
{
    /// <summary>The blob's size and age, or null when it is not stored.</summary>
    ValueTask<BlobInfo?> FindAsync(Digest digest, CancellationToken cancellationToken = default);

    /// <summary>
    /// Opens <paramref name="length"/> bytes of the blob starting at <paramref name="offset"/> (an RFC 9110
    /// §14 range already resolved against the blob's length). Throws <see cref="FileNotFoundException"/>
    /// when the blob is gone.
    /// </summary>
    Task<Stream> OpenReadAsync(Digest digest, long offset, long length, CancellationToken cancellationToken = default);

    /// <summary>
    /// A URL the client may fetch the whole blob from directly (a presigned object-store URL), when the
    /// store is configured to redirect; null means "serve the bytes yourself".
    /// </summary>
    ValueTask<Uri?> RedirectUrlAsync(Digest digest, CancellationToken cancellationToken = default) => ValueTask.FromResult<Uri?>(null);

    /// <summary>
    /// Removes a blob unless it was stored or refreshed after <paramref name="notAfter"/>. Only garbage
    /// collection calls this, never a client request. Returns the bytes freed, or -1.
    /// </summary>
    ValueTask<long> RemoveIfOlderThanAsync(Digest digest, DateTimeOffset notAfter, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="RemoveIfOlderThanAsync(Digest, DateTimeOffset, CancellationToken)"/> for many blobs; returns
    /// the bytes freed per blob removed. A store whose API removes many objects per request overrides this.
    /// </summary>
    async ValueTask<IReadOnlyDictionary<Digest, long>> RemoveIfOlderThanAsync(IReadOnlyCollection<Digest> digests, DateTimeOffset notAfter,
        CancellationToken cancellationToken = default)
    {
        var freed = new Dictionary<Digest, long>();
        foreach (var digest in digests)
        {
            if (await RemoveIfOlderThanAsync(digest, notAfter, cancellationToken) is var bytes and >= 0) freed[digest] = bytes;
        }
        return freed;
    }

    /// <summary>Moves a damaged blob aside (never deletes it) so it is no longer served; returns where it went.</summary>
    Task<string> QuarantineAsync(Digest digest, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every stored digest, for garbage collection and integrity checks only: on an object store this
    /// lists the bucket, which no request path may do.
    /// </summary>
    IAsyncEnumerable<Digest> EnumerateAllAsync(CancellationToken cancellationToken = default);
}
