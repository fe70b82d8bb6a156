using Berth.Oci.Digests;

namespace Berth.Storage.Uploads;

/// <summary>
/// The bytes of blob uploads in progress (distribution-spec end-4 to end-6) and their completion into a
/// blob store. A session may be continued by any process sharing the store (several replicas behind a
/// load balancer); its metadata (repository, algorithm, idle time) lives in the metadata store.
/// </summary>
public interface IUploadStore
{
    /// <summary>Creates an empty upload. <paramref name="id"/> comes from <see cref="UploadIds.New"/>.</summary>
    Task CreateAsync(string id, DigestAlgorithm algorithm, CancellationToken cancellationToken = default);

    /// <summary>
    /// Bytes received so far, or -1 if the upload's data is gone. An object store writes nothing before an
    /// upload's first bytes and so answers 0 for an upload it holds nothing of: whether a session exists is
    /// the metadata store's to say, and every registry operation asks it first.
    /// </summary>
    Task<long> LengthOfAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends the body at <paramref name="expectedOffset"/> (when given) and returns the new length.
    /// Without <paramref name="exactLength"/>, a body that breaks off midway keeps what arrived, so the
    /// client can ask for the offset and resume; with it (a chunk with Content-Range), a body of any other
    /// length is not kept at all. Over <paramref name="maxLength"/> the chunk is refused.
    /// </summary>
    Task<AppendResult> AppendAsync(string id, DigestAlgorithm algorithm, Stream body, long? expectedOffset,
        long? maxLength, long? exactLength = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Verifies that the upload's bytes have digest <paramref name="expected"/> and, only then, stores them
    /// in the blob store under it. On mismatch nothing becomes visible and the upload is left as it was.
    /// </summary>
    Task<CompleteResult> CompleteAsync(string id, DigestAlgorithm sessionAlgorithm, Digest expected, CancellationToken cancellationToken);

    /// <summary>Removes the upload's data (cancel, expiry). Nothing to remove is not an error.</summary>
    Task DeleteAsync(string id, CancellationToken cancellationToken = default);
}

/// <summary>Upload ids: server-generated GUIDs, so they are safe in file names and object keys.</summary>
public static class UploadIds
{
    /// <summary>Anything but a server-made id is refused before touching storage.</summary>
    public static bool IsValid(string id) => Guid.TryParseExact(id, "N", out _);

    public static string New() => Guid.NewGuid().ToString("N");
}

public enum AppendStatus
{
    Appended,
    OffsetMismatch,
    TooLarge,
    /// <summary>The body was not as long as the chunk's Content-Range said; nothing was kept.</summary>
    LengthMismatch,
    /// <summary>The upload's data is gone (cancelled, expired, or completed by another request).</summary>
    Unknown,
}

public readonly record struct AppendResult(AppendStatus Status, long Length);

public readonly record struct CompleteResult(bool Matched, Digest Actual, long Length);
