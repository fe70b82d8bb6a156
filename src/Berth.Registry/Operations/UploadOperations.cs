using Berth.Oci.Digests;
using Berth.Oci.Errors;
using Berth.Oci.Ranges;
using Berth.Registry.Policies;
using Berth.Registry.Results;
using Berth.Storage.Blobs;
using Berth.Storage.Events;
using Berth.Storage.Metadata;
using Berth.Storage.Uploads;

namespace Berth.Registry.Operations;

/// <summary>An upload session and how many bytes it holds.</summary>
public sealed record UploadProgress(UploadSession Session, long Length);

/// <summary>The result of a POST to the uploads endpoint: a finished blob (mount or monolithic) or a session.</summary>
public sealed record UploadStart(Digest? Blob, UploadProgress? Session);

/// <summary>
/// distribution-spec "Pushing blobs": POST/PATCH/PUT uploads (end-4a/4b/4c, end-5, end-6), status
/// (end-13), cancel (end-14) and cross-repository mount (end-11).
/// </summary>
public sealed class UploadOperations
{
    /// <summary>The in-transaction content check of a link whose blob cannot have been collected (see PushWholeAsync).</summary>
    private static readonly Func<ValueTask<bool>> KnownPresent = () => ValueTask.FromResult(true);

    private readonly RegistryOptions _options;
    private readonly IMetadataStore _metadata;
    private readonly IUploadStore _area;
    private readonly IBlobStore _blobs;
    private readonly UploadSlots _slots;
    private readonly TimeProvider _time;
    private readonly WriteAdmission _admission;

    internal UploadOperations(RegistryOptions options, IMetadataStore metadata, IUploadStore area, IBlobStore blobs, WriteAdmission admission,
        TimeProvider time)
    {
        _admission = admission;
        _time = time;
        _options = options;
        _metadata = metadata;
        _area = area;
        _blobs = blobs;
        _slots = new UploadSlots(options.MaxConcurrentUploads);
    }

    /// <summary>Upload requests streaming data right now.</summary>
    public int Streaming => _slots.InUse;

    /// <summary>Opens a session. <paramref name="digestAlgorithm"/> is the "digest-algorithm" query parameter.</summary>
    public async Task<Result<UploadProgress>> StartAsync(string name, string? digestAlgorithm)
    {
        if (_admission.Refusal(WriteKind.Push) is { } refused) return refused;
        if (Validate.Name(name) is { } nameError) return nameError;
        var algorithm = DigestAlgorithm.Sha256;
        if (digestAlgorithm is not null)
        {
            algorithm = DigestAlgorithm.FromName(digestAlgorithm)!;
            if (algorithm is null) return RegistryError.DigestInvalid($"unsupported digest-algorithm '{Validate.Truncate(digestAlgorithm)}'");
        }
        var now = _time.GetUtcNow();
        var session = new UploadSession(UploadIds.New(), name, algorithm, now, now);
        await _area.CreateAsync(session.Id, algorithm);
        await _metadata.CreateUploadAsync(session);
        return new UploadProgress(session, 0);
    }

    /// <summary>
    /// A single POST carrying the whole blob and its digest (end-4b). <paramref name="contentLength"/> is the
    /// body's announced length, when known: a store that can take a whole blob without a session (an object
    /// store, where a session costs round trips) then gets it in one step.
    /// </summary>
    public async Task<Result<Digest>> PushMonolithicAsync(string name, string digestText, Stream body, long? contentLength,
        CancellationToken cancellationToken)
    {
        if (_admission.Refusal(WriteKind.Push) is { } refused) return refused;
        if (Validate.Name(name) is { } nameError) return nameError;
        if (Validate.Digest(digestText, out var digest) is { } digestError) return digestError;
        if (_area is IMonolithicUploadStore whole && contentLength is { } length && length <= whole.MonolithicLimit)
        {
            return await PushWholeAsync(whole, name, digest, body, length, cancellationToken);
        }
        var started = await StartAsync(name, digest.Algorithm.Name);
        if (!started.IsSuccess) return started.Error;
        var id = started.Value.Session.Id;
        try
        {
            var result = await CompleteAsync(name, id, digestText, body, cancellationToken: cancellationToken);
            if (!result.IsSuccess) await CancelAsync(name, id);
            return result;
        }
        catch
        {
            // A single-request upload cannot be resumed, so a failure (disk full, client gone) leaves nothing behind.
            await CancelAsync(name, id);
            throw;
        }
    }

    private async Task<Result<Digest>> PushWholeAsync(IMonolithicUploadStore store, string name, Digest digest, Stream body, long length,
        CancellationToken cancellationToken)
    {
        if (length > _options.MaxBlobBytes) return RegistryError.TooLarge($"blob exceeds the registry's limit of {_options.MaxBlobBytes} bytes");
        using var slot = _slots.TryTake(out var busy);
        if (slot is null) return busy!;
        // A copy stored within the last half grace period leaves the push at least as long again to link it.
        var keepIfStoredAfter = _time.GetUtcNow() - _options.GarbageCollectionGracePeriod / 2;
        var stored = await store.StoreWholeAsync(digest, body, length, keepIfStoredAfter, cancellationToken);
        if (!stored.Matched) return RegistryError.DigestInvalid($"uploaded content has digest {stored.Actual}, not {digest}");
        // The copy is now at most half a grace period old, and garbage collection removes only copies older
        // than a whole one: it is certain to be there when the link commits, so the link needs no second look.
        return await LinkStoredAsync(name, digest, stored.Length, KnownPresent);
    }

    /// <summary>
    /// end-11: links a blob stored for another repository, taken only from <paramref name="source"/>. Null
    /// means the blob is not mountable from there and the caller falls back to a new session, which is also
    /// what a caller sees when the blob does not exist, so the answer reveals nothing beyond the source.
    /// </summary>
    public async Task<Result<Digest?>> MountAsync(string name, string digestText, MountSource source)
    {
        if (_admission.Refusal(WriteKind.Push) is { } refused) return refused;
        if (Validate.Name(name) is { } nameError) return nameError;
        if (Validate.Digest(digestText, out var digest) is { } digestError) return digestError;
        if (await _blobs.FindAsync(digest) is not { } stored) return (Digest?)null;
        var mountable = source.Repository is { } from
            ? Oci.Names.RepositoryName.IsValid(from) && _metadata.IsBlobLinked(from, digest)
            : _metadata.IsBlobLinked(name, digest) || _metadata.FindRepositoryWithBlob(digest, name) is not null;
        // A mount without "from" reports no source: the repository it was found in is not the caller's to learn.
        var arrival = new BlobArrival(stored.Length, Mounted: true, MountedFrom: source.Repository);
        if (!mountable || !await _metadata.LinkBlobAsync(name, digest, ContentPresent(digest), arrival)) return (Digest?)null;
        return (Digest?)digest;
    }

    public async Task<Result<UploadProgress>> StatusAsync(string name, string id, CancellationToken cancellationToken = default)
    {
        if (Validate.Name(name) is { } nameError) return nameError;
        if (Find(name, id) is not { } session) return RegistryError.BlobUploadUnknown();
        var length = await _area.LengthOfAsync(id, cancellationToken);
        if (length < 0) return RegistryError.BlobUploadUnknown();
        return new UploadProgress(session, length);
    }

    /// <summary>
    /// end-5/end-6 PATCH: appends a chunk. With Content-Range the chunk must start where the upload
    /// ends (416 otherwise); without it the body is streamed onto the end, as docker and containerd do.
    /// </summary>
    public async Task<Result<UploadProgress>> AppendAsync(string name, string id, Stream body, string? contentRange, long? contentLength,
        CancellationToken cancellationToken)
    {
        if (_admission.Refusal(WriteKind.Push) is { } refused) return refused;
        if (Validate.Name(name) is { } nameError) return nameError;
        if (Find(name, id) is not { } session) return RegistryError.BlobUploadUnknown();
        long? expectedOffset = null;
        long? chunkLength = null;
        if (!string.IsNullOrWhiteSpace(contentRange))
        {
            if (!ChunkRange.TryParse(contentRange, out var range)) return await RangeNotSatisfiableAsync(id, "Content-Range must be '<start>-<end>'");
            if (contentLength is { } length && length != range.Length)
            {
                return await RangeNotSatisfiableAsync(id, "Content-Range does not agree with Content-Length");
            }
            expectedOffset = range.First;
            // A streamed body has no Content-Length to compare, so its length is checked as it arrives.
            chunkLength = range.Length;
        }
        using var slot = _slots.TryTake(out var busy);
        if (slot is null) return busy!;
        var appended = await _area.AppendAsync(id, session.Algorithm, body, expectedOffset, _options.MaxBlobBytes, chunkLength, cancellationToken);
        await _metadata.TouchUploadAsync(id, _time.GetUtcNow());
        return appended.Status switch
        {
            AppendStatus.OffsetMismatch => await RangeNotSatisfiableAsync(id, $"chunk must start at offset {appended.Length}"),
            AppendStatus.LengthMismatch => await RangeNotSatisfiableAsync(id, "Content-Range does not agree with the length of the body"),
            AppendStatus.Unknown => RegistryError.BlobUploadUnknown(),
            AppendStatus.TooLarge => RegistryError.TooLarge($"blob exceeds the registry's limit of {_options.MaxBlobBytes} bytes"),
            _ => new UploadProgress(session, appended.Length),
        };
    }

    /// <summary>end-6 closing PUT: appends an optional last chunk, then verifies the digest and stores the blob.</summary>
    public async Task<Result<Digest>> CompleteAsync(string name, string id, string? digestText, Stream? lastChunk,
        string? contentRange = null, long? contentLength = null, CancellationToken cancellationToken = default)
    {
        if (_admission.Refusal(WriteKind.Push) is { } refused) return refused;
        if (Validate.Name(name) is { } nameError) return nameError;
        if (Find(name, id) is null) return RegistryError.BlobUploadUnknown();
        if (digestText is null) return RegistryError.DigestInvalid("the digest query parameter is required to complete an upload");
        if (Validate.Digest(digestText, out var digest) is { } digestError) return digestError;
        if (await IsWholeBlobInClosingPutAsync(id, lastChunk, contentRange, contentLength, cancellationToken) is { } whole)
        {
            // POST, then one PUT with the whole body (containerd, Berth.Client and others for small blobs): a
            // monolithic upload in two requests, stored in one step like POST ?digest=.
            var pushed = await PushWholeAsync(whole, name, digest, lastChunk!, contentLength!.Value, cancellationToken);
            // An empty session holds nothing in a store that takes whole blobs: only its row goes.
            if (pushed.IsSuccess) await _metadata.DeleteUploadAsync(id);
            return pushed;
        }
        if (lastChunk is not null)
        {
            // The last chunk obeys the same ordering rule as a PATCH: out of order is 416 and the session stays open.
            var appended = await AppendAsync(name, id, lastChunk, contentRange, contentLength, cancellationToken);
            if (!appended.IsSuccess) return appended.Error;
        }
        if (Find(name, id) is not { } session) return RegistryError.BlobUploadUnknown();
        var completed = await _area.CompleteAsync(id, session.Algorithm, digest, cancellationToken);
        if (!completed.Matched)
        {
            return RegistryError.DigestInvalid($"uploaded content has digest {completed.Actual}, not {digest}");
        }
        await _metadata.DeleteUploadAsync(id);
        return await LinkStoredAsync(name, digest, completed.Length, ContentPresent(digest));
    }

    private Func<ValueTask<bool>> ContentPresent(Digest digest) => async () => await _blobs.FindAsync(digest) is not null;

    private async Task<Result<Digest>> LinkStoredAsync(string name, Digest digest, long length, Func<ValueTask<bool>> contentPresent)
    {
        if (!await _metadata.LinkBlobAsync(name, digest, contentPresent, new BlobArrival(length)))
        {
            // Garbage collection removed an identical, unreferenced copy at the same instant; the client retries.
            return RegistryError.Unavailable("the blob was being garbage-collected at the same moment; retry the upload");
        }
        return digest;
    }

    /// <summary>The store to take the closing PUT's body in one step, when the session holds nothing yet and the body fits.</summary>
    private async Task<IMonolithicUploadStore?> IsWholeBlobInClosingPutAsync(string id, Stream? lastChunk, string? contentRange, long? contentLength,
        CancellationToken cancellationToken)
    {
        if (lastChunk is null || !string.IsNullOrWhiteSpace(contentRange) || _area is not IMonolithicUploadStore whole) return null;
        if (contentLength is not { } length || length > whole.MonolithicLimit) return null;
        return await _area.LengthOfAsync(id, cancellationToken) == 0 ? whole : null;
    }

    public async Task<Result<string>> CancelAsync(string name, string id)
    {
        if (Validate.Name(name) is { } nameError) return nameError;
        if (Find(name, id) is null) return RegistryError.BlobUploadUnknown();
        await _metadata.DeleteUploadAsync(id);
        await _area.DeleteAsync(id);
        return id;
    }

    /// <summary>Removes sessions idle for longer than the configured expiry, with their data.</summary>
    public async Task<int> ExpireIdleAsync()
    {
        var expired = _metadata.ExpiredUploads(_time.GetUtcNow() - _options.UploadIdleExpiry);
        foreach (var id in expired)
        {
            await _metadata.DeleteUploadAsync(id);
            await _area.DeleteAsync(id);
        }
        return expired.Count;
    }

    private UploadSession? Find(string name, string id)
    {
        if (!UploadIds.IsValid(id)) return null;
        var session = _metadata.GetUpload(id);
        return session is not null && session.Repository == name ? session : null;
    }

    private async Task<RegistryError> RangeNotSatisfiableAsync(string id, string why)
    {
        return RegistryError.UploadRangeNotSatisfiable(why, Math.Max(0, await _area.LengthOfAsync(id)));
    }
}
