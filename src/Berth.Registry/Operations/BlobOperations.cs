using Berth.Oci.Digests;
using Berth.Oci.Errors;
using Berth.Oci.Preconditions;
using Berth.Registry.Policies;
using Berth.Registry.Results;
using Berth.Storage.Blobs;
using Berth.Storage.Metadata;

namespace Berth.Registry.Operations;

/// <summary>A blob as the server should send it, with the precondition outcome already decided.</summary>
public sealed record BlobRead(Digest Digest, BlobInfo Blob, PreconditionOutcome Outcome)
{
    public EntityTag EntityTag => EntityTag.ForDigest(Digest);
}

/// <summary>distribution-spec "Pulling blobs" (end-2), "Deleting blobs" (end-10).</summary>
public sealed class BlobOperations
{
    private readonly IMetadataStore _metadata;
    private readonly IBlobStore _blobs;
    private readonly WriteAdmission _admission;

    internal BlobOperations(IMetadataStore metadata, IBlobStore blobs, WriteAdmission admission)
    {
        _metadata = metadata;
        _blobs = blobs;
        _admission = admission;
    }

    public async ValueTask<Result<BlobRead>> ReadAsync(string name, string digestText, RequestPreconditions conditions,
        CancellationToken cancellationToken = default)
    {
        if (Validate.Name(name) is { } nameError) return nameError;
        if (Validate.Digest(digestText, out var digest) is { } digestError) return digestError;
        // Visible only where pushed or mounted, although stored once for all repositories.
        if (!_metadata.IsBlobLinked(name, digest) || await _blobs.FindAsync(digest, cancellationToken) is not { } blob)
        {
            return RegistryError.BlobUnknown(digestText);
        }
        var state = ResourceState.Present(EntityTag.ForDigest(digest), blob.StoredAt);
        return new BlobRead(digest, blob, PreconditionEvaluator.Evaluate(conditions, state, isSafeMethod: true));
    }

    /// <summary>The bytes of a blob <see cref="ReadAsync"/> found, for a store without a local file to send.</summary>
    public Task<Stream> OpenAsync(BlobRead read, long offset, long length, CancellationToken cancellationToken) =>
        _blobs.OpenReadAsync(read.Digest, offset, length, cancellationToken);

    /// <summary>A presigned URL to answer 307 with, when the blob store is configured to redirect.</summary>
    public ValueTask<Uri?> RedirectUrlAsync(BlobRead read, CancellationToken cancellationToken) =>
        _blobs.RedirectUrlAsync(read.Digest, cancellationToken);

    /// <summary>Unlinks the blob from the repository; the bytes go when garbage collection finds them unused.</summary>
    public async Task<Result<Digest>> DeleteAsync(string name, string digestText, RequestPreconditions conditions)
    {
        if (_admission.Refusal(WriteKind.Delete) is { } refused) return refused;
        if (Validate.Name(name) is { } nameError) return nameError;
        if (Validate.Digest(digestText, out var digest) is { } digestError) return digestError;
        var outcome = await _metadata.UnlinkBlobAsync(name, digest, new WriteGuard { Preconditions = conditions });
        return outcome.Status switch
        {
            WriteStatus.Done => digest,
            WriteStatus.NotFound => RegistryError.BlobUnknown(digestText),
            _ => RegistryError.PreconditionFailed(
                $"The precondition did not hold for blob {digest}; nothing was deleted. Re-read the blob's ETag and retry.",
                EntityTag.ForDigest(digest).ToString()),
        };
    }
}
